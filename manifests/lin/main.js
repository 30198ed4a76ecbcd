/*
 * xs-tcp in the Moddable Linux simulator, attached to a TAP device: the esp32 example's services,
 *
 *   echo (7), discard (9), daytime (13) and chargen (19)
 *
 * on config.ip, reached by the PC's own kernel. Create the TAP first (as root):
 *
 *   ip tuntap add dev xs0 mode tap && ip addr add 10.77.0.1/24 dev xs0 && ip link set xs0 up
 *   cd manifests/lin && mcconfig -d -m -p lin tap=xs0 ip=10.77.0.2/24
 *   ping 10.77.0.2          nc 10.77.0.2 7          nc 10.77.0.2 19 | head
 *
 * The stack is configured as on the board (STACK_CONFIG equals manifests/esp32/main.js's), so this
 * app is also where the esp32 example's memory is measured on XS 17.7 (manifests/README.md).
 */
import config from "mc/config";
import Timer from "timer";
import Debug from "debug";
import {
	Stack, startEcho, startDiscard, startDaytime, startChargen,
	netstat, formatNetstat, tcp_set_trace, formatTrace, ERR_OK,
} from "xs-tcp";
import { LinTapHal } from "xs-tcp/lin";

const STACK_CONFIG = Object.freeze({ PBUF_POOL_SIZE: 32 });

export default function () {
	const sim = new LinTapHal({ tap: config.tap, mac: config.mac || undefined });
	const stack = new Stack(sim.hal, { ip: config.ip, gateway: config.gateway || undefined, config: STACK_CONFIG, name: "lin" });
	sim.start(stack);

	const services = [startEcho(stack), startDiscard(stack), startDaytime(stack), startChargen(stack)];
	for (const s of services)
		trace(`${s.name} on ${config.ip.split("/")[0]}:${s.port}${(s.err === ERR_OK) ? "" : " failed: " + s.err}\n`);

	if (config.trace)
		tcp_set_trace(stack, info => trace(formatTrace(info) + "\n"));

	const seconds = Number(config.netstatSeconds) || 0;
	if (seconds > 0) {
		Timer.repeat(() => {
			trace(formatNetstat(netstat(stack)) + "\n");
			trace(`rx ${sim.driver.rxFrames} tx ${sim.driver.txFrames} tx errors ${sim.driver.txErrors} ring drops ${sim.driver.dropped}\n`);
		}, seconds * 1000);
	}
	// measurement runs (test/moddable/run.sh): collect garbage this often, so that xsbug's
	// instrument samples of slots and chunks show what is live, not what awaits collection
	const gcMs = Number(config.gcMs) || 0;
	if (gcMs > 0)
		Timer.repeat(() => Debug.gc(), gcMs);
	// the checksum and where the pool lives (hal/xs: native unless XS_TCP_LIN_CHECKSUM=js / XS_TCP_LIN_POOL=xs)
	trace(`xs-tcp: ready (checksum ${sim.status.checksum}, pool ${sim.status.poolNative ? "native" : "in the XS heap"})\n`);
}
