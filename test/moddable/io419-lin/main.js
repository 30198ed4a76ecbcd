/*
 * Moddable's network clients over xs-tcp in the Moddable Linux simulator: the SDK's HTTP client,
 * MQTT client, WebSocket client, UDP DNS resolver and HTTP server, each given the ECMA-419 classes
 * of xs-tcp (embedded:io/socket/*, manifests/io) on a stack attached to a TAP. The checks run one
 * after the other against the servers on the kernel side (test/moddable/io419-lin.sh starts them);
 * each result is one trace line "io419 {json}". config.expect carries the lengths and CRC-32s of
 * the bodies the HTTP server will send: "len:crc,len:crc,len:crc".
 */
import config from "mc/config";
import Timer from "timer";
import { Stack, setDefaultStack } from "xs-tcp";
import { LinTapHal } from "xs-tcp/lin";
import TCP from "embedded:io/socket/tcp";
import UDP from "embedded:io/socket/udp";
import Listener from "embedded:io/socket/listener";
import Resolver from "embedded:network/dns/resolver/udp";
import HTTPClient from "embedded:network/http/client";
import HTTPServer from "embedded:network/http/server";
import MQTTClient from "embedded:network/mqtt/client";
import WebSocketClient from "embedded:network/websocket/client";

class Crc32 {
	constructor() {
		this.table = new Uint32Array(256);
		for (let n = 0; n < 256; n++) {
			let c = n;
			for (let k = 0; k < 8; k++) c = (c & 1) ? (0xedb88320 ^ (c >>> 1)) : (c >>> 1);
			this.table[n] = c >>> 0;
		}
		this.crc = 0xffffffff;
		this.bytes = 0;
	}
	update(ab) {
		const b = new Uint8Array(ab), t = this.table;
		let c = this.crc;
		for (let i = 0; i < b.length; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
		this.crc = c >>> 0;
		this.bytes += b.length;
	}
	get value() { return ((this.crc ^ 0xffffffff) >>> 0).toString(16); }
}

function report(check, result) {
	trace("io419 " + JSON.stringify({ check, ...result }) + "\n");
}

export default function () {
	const sim = new LinTapHal({ tap: config.tap });
	const stack = new Stack(sim.hal, { ip: config.ip, gateway: config.kernel, name: "lin",
		config: { PBUF_POOL_SIZE: 128, MEMP_NUM_TCP_PCB: 32, TCP_DEFAULT_LISTEN_BACKLOG: 12, TCP_MSL: 2000 } });
	sim.start(stack);
	stack.setWorkHook(() => sim.scheduler.poke());
	setDefaultStack(stack);
	const kernel = config.kernel;
	const dns = { io: Resolver, servers: [kernel], socket: { io: UDP } };
	const expect = config.expect.split(",").map(e => e.split(":"));

	const checks = [["http", http], ["mqtt", mqtt], ["ws", ws], ["dns", resolve], ["httpserver", server]];
	let next = 0;
	let deadline;
	let diag = {};
	function run() {
		Timer.clear(deadline);
		const check = checks[next++];
		if (!check) return;
		diag = {};
		deadline = Timer.set(() => { report(check[0], { ok: false, error: "timeout", ...diag }); run(); }, 30000);
		check[1](run);
	}
	trace("io419 ready\n");
	Timer.set(run, 200);

	function http(done) {
		const paths = [[8080, "/index.html"], [8080, "/big.bin"], [8081, "/chunked"]];
		const results = [];
		function one(i) {
			if (i === paths.length) {
				report("http", { ok: results.every(r => r.ok), results });
				return done();
			}
			const crc = new Crc32();
			let status = 0, transfer = "content-length";
			const client = new HTTPClient({ host: kernel, port: paths[i][0], dns, socket: { io: TCP } });
			client.request({
				path: paths[i][1],
				onHeaders(s, headers) { status = s; if (headers.get("transfer-encoding")) transfer = headers.get("transfer-encoding"); },
				onReadable(count) { crc.update(this.read(count)); },
				onDone(error) {
					const [len, sum] = expect[i];
					results.push({ path: paths[i][0] + paths[i][1], status, bytes: crc.bytes, crc: crc.value, transfer,
						ok: !error && (200 === status) && (crc.bytes === Number(len)) && (crc.value === sum) });
					// Moddable's HTTP client leaves a Timer per chunk of a chunked body that calls its
					// #onReadable later; closing the client before they ran makes them throw
					Timer.set(() => client.close(), 500);
					one(i + 1);
				}
			});
		}
		one(0);
	}

	function mqtt(done) {
		const big = new Uint8Array(20000);
		for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
		const want = new Crc32();
		want.update(big.buffer);
		const got = {};
		let topic = "", sent = 0, subscribed = false, puback = false, finished = false;
		// done once every message came back and the QoS 1 publish was acknowledged, in whatever order
		function complete(client) {
			const q0 = got["xs/test/q0"], q1 = got["xs/test/q1"], k = got["xs/test/kernel"];
			if (!finished && q0 && q1 && k && (q1.bytes === big.length) && puback) {
				finished = true;
				report("mqtt", { ok: ("hello qos0" === q0.text) && (q1.value === want.value) && ("from the kernel" === k.text),
					q0: q0.text, q1Bytes: q1.bytes, kernel: k.text });
				// closed a little later, as the HTTP clients are: not from inside its own callback
				Timer.set(() => client.close(), 500);
				done();
			}
		}
		const client = new MQTTClient({
			host: kernel, port: 1883, id: "xs-tcp-io419-lin", keepalive: 30000, dns, socket: { io: TCP },
			onControl(msg) {
				if (MQTTClient.CONNACK === msg.operation)
					this.write(null, { operation: MQTTClient.SUBSCRIBE, items: [{ topic: "xs/test/#", QoS: 1 }] });
				else if ((MQTTClient.SUBACK === msg.operation) && !subscribed) {
					subscribed = true;
					this.write(ArrayBuffer.fromString("hello qos0"), { topic: "xs/test/q0" });
					this.write(big.buffer.slice(0, 1000), { topic: "xs/test/q1", QoS: 1, id: 77, byteLength: big.length });
					sent = 1000;
					trace("io419 mqtt subscribed\n");
				}
				else if ((MQTTClient.PUBACK === msg.operation) && (77 === msg.id)) {
					puback = diag.puback = true;
					complete(this);
				}
				diag["op" + msg.operation] = true;
			},
			onReadable(count, options) {
				if (undefined !== options.topic) topic = options.topic;
				const c = got[topic] ?? (got[topic] = new Crc32());
				const data = this.read(count);
				c.update(data);
				if ("xs/test/q1" !== topic) c.text = (c.text ?? "") + String.fromArrayBuffer(data);
				diag[topic] = c.bytes;
				diag.puback = puback;
				complete(this);
			},
			onWritable(count) {
				while ((sent > 0) && (sent < big.length) && (count > 0)) {
					const n = Math.min(count, big.length - sent, 4096);
					count = this.write(big.buffer.slice(sent, sent + n));
					sent += n;
					diag.sent = sent;
				}
			},
			onError() { if (!finished) { finished = true; report("mqtt", { ok: false, error: "onError" }); done(); } }
		});
	}

	function ws(done) {
		const bin = new Uint8Array(3000);
		for (let i = 0; i < bin.length; i++) bin[i] = (i * 13) & 0xff;
		const want = new Crc32();
		want.update(bin.buffer);
		let sent = false, text, binary, parts = [], finished = false;
		new WebSocketClient({
			host: kernel, port: 8765, path: "/", dns, socket: { io: TCP },
			onWritable() {
				if (sent) return;
				sent = true;
				this.write(ArrayBuffer.fromString("hello websocket"), { binary: false });
				this.write(bin.buffer, { binary: true });
			},
			onReadable(count, options) {
				parts.push(this.read(count));
				if (options.more) return;
				if (options.binary) {
					binary = new Crc32();
					parts.forEach(p => binary.update(p));
				}
				else
					text = parts.map(p => String.fromArrayBuffer(p)).join("");
				parts = [];
				if ((undefined !== text) && binary && !finished) {
					finished = true;
					report("ws", { ok: ("echo: hello websocket" === text) && (binary.value === want.value), text, binaryBytes: binary.bytes });
					const client = this;
					Timer.set(() => client.close(), 500);
					done();
				}
			},
			onError() { if (!finished) { finished = true; report("ws", { ok: false, error: "onError" }); done(); } }
		});
	}

	function resolve(done) {
		new Resolver(dns).resolve({
			host: "board.xs-tcp.test",
			onResolved(host, address) { report("dns", { ok: address === config.ip.split("/")[0], host, address }); done(); },
			onError(host) { report("dns", { ok: false, error: "not resolved", host }); done(); }
		});
	}

	function server(done) {
		Timer.clear(deadline);
		const body = ArrayBuffer.fromString("hello from xs-tcp\n");
		let served = 0;
		new HTTPServer({
			io: Listener, port: 8080,
			onConnect(connection) {
				connection.accept({
					onRequest() {},
					onResponse(response) {
						response.headers.set("content-length", body.byteLength);
						this.respond(response);
					},
					onWritable() { this.write(body); },
					onDone() { served++; }
				});
			}
		});
		Timer.repeat(() => trace(`io419 served ${served}\n`), 1000);
		trace("io419 httpserver ready\n");
	}
}
