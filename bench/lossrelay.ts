/**
 * A lossy relay for bench/lossy.ts: bridges a Linux TAP device and the stack's UDP tunnel link
 * (`xs-tcp up --udp`), one Ethernet frame per datagram, dropping each frame in either direction
 * with probability LOSS (a seeded xorshift, so runs are comparable). Used where tc netem is not
 * available (a kernel without sch_netem). Runs until SIGTERM; prints the counts on exit.
 *
 *   node dist/bench/lossrelay.js TAP LPORT RPORT LOSS [SEED]
 *     binds 127.0.0.1:LPORT, sends to 127.0.0.1:RPORT (the stack: --udp RPORT:127.0.0.1:LPORT)
 */
import * as dgram from 'node:dgram';
import { loadTapAddon, tapAddonError } from '../hal/host/tap.js';

const EAGAIN = 11;

function main(argv: string[]): void {
  const [tap, lport, rport, lossArg, seedArg] = argv;
  const loss = Number(lossArg);
  if (!tap || !(Number(lport) > 0) || !(Number(rport) > 0) || !(loss >= 0 && loss < 1)) {
    process.stderr.write('usage: lossrelay TAP LPORT RPORT LOSS [SEED]\n');
    process.exit(2);
  }
  const addon = loadTapAddon();
  if (addon === null) { process.stderr.write(tapAddonError() + '\n'); process.exit(1); }
  const fd = addon.open(tap, true);
  if (fd < 0) { process.stderr.write('cannot open TAP ' + tap + '\n'); process.exit(1); }
  let s = (Number(seedArg) || 1) >>> 0 || 1;
  const drop = (): boolean => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296 < loss;
  };
  const n = { tapIn: 0, tapDropped: 0, udpIn: 0, udpDropped: 0 };
  const sock = dgram.createSocket('udp4');
  const buf = new Uint8Array(2048);
  sock.on('message', (m: Buffer) => {
    n.udpIn++;
    if (drop()) { n.udpDropped++; return; }
    addon.write(fd, m, 0, m.length);
  });
  const onReadable = (): void => {
    for (let i = 0; i < 64; i++) {
      const r = addon.read(fd, buf, 0, buf.length);
      if (r <= 0) { if (r !== -EAGAIN && r !== 0) process.stderr.write('TAP read error ' + r + '\n'); break; }
      n.tapIn++;
      if (drop()) { n.tapDropped++; continue; }
      sock.send(buf.subarray(0, r), Number(rport), '127.0.0.1');
    }
  };
  sock.bind(Number(lport), '127.0.0.1', () => {
    const h = addon.poll(fd, onReadable);
    process.stdout.write('relaying\n');
    process.once('SIGTERM', () => {
      addon.pollStop(h);
      sock.close();
      process.stdout.write(JSON.stringify(n) + '\n');
      process.exit(0);
    });
  });
}

main(process.argv.slice(2));
