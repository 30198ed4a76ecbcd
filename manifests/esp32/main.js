/*
 * xs-tcp example for an ESP32 board. With config.interface "sta" (this manifest) the Wi-Fi station
 * joins the access point named in the manifest's config (or on the command line:
 * mcconfig -d -m -p esp32 ssid="..." password="..."), then xs-tcp takes the station's frames over
 * from the IDF network interface. With "eth" (manifests/esp32-eth-*) the HAL installs and starts
 * the Ethernet driver the manifest's defines name. Either way the stack serves
 *
 *   echo (7), discard (9), daytime (13) and chargen (19)
 *
 * on an address from DHCP (RFC 2131; config.ip "dhcp", the default) or on a static config.ip
 * ("192.168.1.50/24", with config.gateway), and answers mDNS queries (RFC 6762) for
 * config.hostname.local. Every lease event and TCP state transition is traced, and the netstat
 * table is printed every config.netstatSeconds. From a PC on the same network (Avahi or Bonjour):
 *
 *   ping xs-tcp.local          nc xs-tcp.local 7          nc xs-tcp.local 19 | head
 *
 * The stack configuration must stay equal to ESP32_EXAMPLE_CONFIG in bench/xs_entry.ts: the
 * manifest's creation sizes were measured with it.
 */
import config from "mc/config";
import Timer from "timer";
import WiFi from "wifi";
import {
	Stack, startEcho, startDiscard, startDaytime, startChargen,
	netstat, formatNetstat, tcp_set_trace, formatTrace, ERR_OK,
	dhcp_start, dhcp_set_callback, DHCP_EVENT_NAMES, DHCP_EVENT_BOUND, DHCP_EVENT_RENEWED,
	mdns_start, mdns_responder, ip4ToString,
} from "xs-tcp";
import { Esp32Hal } from "xs-tcp/esp32";

const STACK_CONFIG = { PBUF_POOL_SIZE: 32 };

let board = null;

function start(iface) {
	const dhcp = !config.ip || ("dhcp" === config.ip);
	const hostname = config.hostname || "xs-tcp";
	board = new Esp32Hal({ interface: iface });
	const stack = new Stack(board.hal, dhcp
		? { ip: "0.0.0.0", hostname, config: STACK_CONFIG, name: "esp32" }
		: { ip: config.ip, gateway: config.gateway, hostname, config: STACK_CONFIG, name: "esp32" });
	board.start(stack);
	// the pool's bytes: native (internal RAM, or PSRAM with defines.xstcp.pool.psram) unless
	// allocation failed and left them in the XS heap (manifests/README.md)
	trace(`xs-tcp: checksum native, pool ${board.status.poolNative ? "native" : "in the XS heap"}\n`);

	if (dhcp) {
		// The lease, its renewals and its loss; after a link flap the client reboots with the old address.
		dhcp_set_callback(stack, (arg, ev, c) => {
			const lease = ((DHCP_EVENT_BOUND === ev) || (DHCP_EVENT_RENEWED === ev))
				? ` ${ip4ToString(c.ip)} mask ${ip4ToString(c.netmask)} gw ${ip4ToString(c.gateway)} lease ${c.leaseSecs} s`
				: "";
			trace(`xs-tcp: dhcp ${DHCP_EVENT_NAMES[ev]}${lease}\n`);
		});
		const err = dhcp_start(stack);
		trace((ERR_OK === err) ? `xs-tcp: dhcp discovering as ${hostname}\n` : `xs-tcp: dhcp cannot start: ${err}\n`);
	}
	mdns_responder(stack).onRename = name => trace(`xs-tcp: mdns name in use, now ${name}.local\n`);
	const merr = mdns_start(stack);
	trace((ERR_OK === merr) ? `xs-tcp: mdns answers for ${hostname}.local\n` : `xs-tcp: mdns cannot start: ${merr}\n`);

	const services = [startEcho(stack), startDiscard(stack), startDaytime(stack), startChargen(stack)];
	for (const s of services)
		trace(`${s.name} on port ${s.port}${(s.err === ERR_OK) ? "" : " failed: " + s.err}\n`);

	if (config.trace)
		tcp_set_trace(stack, info => trace(formatTrace(info) + "\n"));

	const seconds = Number(config.netstatSeconds) || 10;
	Timer.repeat(() => {
		trace(formatNetstat(netstat(stack)) + "\n");
		trace(`rx ${board.driver.rxFrames} tx ${board.driver.txFrames} tx errors ${board.driver.txErrors} ring drops ${board.driver.dropped}\n`);
	}, seconds * 1000);
}

export default function () {
	if ("eth" === config.interface) {
		// The HAL starts the driver; the stack learns of the cable's link state from the PHY.
		start("eth");
		return;
	}
	if (!config.ssid) {
		trace("xs-tcp: set config.ssid (and config.password) to join a network\n");
		return;
	}
	new WiFi({ ssid: config.ssid, password: config.password }, msg => {
		// Associated: the link is up. The HAL stops the IDF's own DHCP client: the stack runs its own.
		if ((WiFi.connected === msg) && !board) {
			trace(`xs-tcp: joined ${config.ssid}\n`);
			start("sta");
		}
		else if (WiFi.connected === msg)
			trace(`xs-tcp: joined ${config.ssid} again\n`);
		else if (WiFi.disconnected === msg)
			trace("xs-tcp: Wi-Fi disconnected; the HAL re-joins with backoff and TCP retransmission covers the gap\n");
	});
}
