/**
 * Scripted conformance: every test/conformance/*.pkt script (packetdrill dialect, see
 * docs/packetdrill.md) passes against the stack on the mock HAL, and leaves every pool full.
 * Then the runner itself is checked: scripts that must fail do fail, at the right line, for the
 * right reason.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDrill, type DrillResult } from '../tools/drill/run.js';
import { assertPoolsFull } from './helpers/pools.js';

function scriptDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../test/conformance'), resolve(here, 'conformance'), resolve(process.cwd(), 'test/conformance')];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error('test/conformance not found (looked in ' + candidates.join(', ') + ')');
}

const dir = scriptDir();
const scripts = readdirSync(dir).filter((f) => f.endsWith('.pkt')).sort();

function check(r: DrillResult): void {
  if (r.stack !== null) assertPoolsFull(r.stack);
}

describe('conformance scripts (test/conformance/*.pkt)', function () {
  this.timeout(120000);

  it('has at least 40 scripts', () => {
    assert.ok(scripts.length >= 40, 'only ' + scripts.length + ' scripts');
  });

  for (const f of scripts) {
    it(f, () => {
      const path = join(dir, f);
      const r = runDrill(readFileSync(path, 'utf8'), path);
      assert.ok(r.ok, r.message);
      check(r);
    });
  }
});

/** A listener with one accepted connection (fd 4), peer ISN 5000, our ISN learned from the SYN-ACK. */
const OPEN = [
  '0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', // 1
  '+0  bind(3, ..., ...) = 0', // 2
  '+0  listen(3, 1) = 0', // 3
  '+0  < S 5000:5000(0) win 65535 <mss 1460>', // 4
  '+0  > S. 0:0(0) ack 5001 win 8192 <mss 1460>', // 5
  '+.1 < . 1:1(0) ack 1 win 65535', // 6
  '+0  accept(3, ..., ...) = 4', // 7
];

function fails(lines: string[], line: number, re: RegExp): DrillResult {
  const r = runDrill(lines.join('\n') + '\n', 'neg.pkt');
  assert.equal(r.ok, false, 'the script should have failed:\n' + lines.join('\n'));
  assert.equal(r.line, line, 'wrong line: ' + r.message);
  assert.ok(r.message.startsWith('neg.pkt:' + line + ': '), r.message);
  assert.match(r.message, re);
  check(r);
  return r;
}

describe('drill runner: failing scripts fail where they should', function () {
  this.timeout(60000);

  it('the base script passes', () => {
    const r = runDrill(OPEN.join('\n'), 'neg.pkt');
    assert.ok(r.ok, r.message);
    check(r);
  });

  it('a wrong flag', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > F. 1:11(10) ack 1'], 9,
      /expected > F\. 1:11\(10\) ack 1 but got > P\. 1:11\(10\) ack 1 win 8192 at 0\.100000 \(flags: expected F\. vs actual P\.\)/);
  });

  it('a wrong sequence number', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 2:12(10) ack 1'], 9, /tcp_seq: expected 2 vs actual 1/);
  });

  it('a wrong ack number', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 2'], 9, /tcp_ack_seq: expected 2 vs actual 1/);
  });

  it('a wrong window, only when win is written', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1 win 100'], 9, /tcp_window: expected 100 vs actual 8192/);
  });

  it('wrong options, and none written means none', () => {
    fails(['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 bind(3, ..., ...) = 0', '+0 listen(3, 1) = 0',
      '+0 < S 5000:5000(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 5001'], 5, /bad outbound TCP options/);
    fails(['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 bind(3, ..., ...) = 0', '+0 listen(3, 1) = 0',
      '+0 < S 5000:5000(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 5001 <mss 1000>'], 5, /bad outbound TCP options/);
  });

  it('a wrong payload length', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:12(11) ack 1'], 9, /payload: expected 11 bytes vs actual 10 bytes/);
  });

  it('a missing packet', () => {
    fails([...OPEN, '+0 > P. 1:11(10) ack 1'], 8,
      /expected > P\. 1:11\(10\) ack 1 at 0\.100000 \(tolerance 0\.\d+\) but no packet was sent \(waited until 0\.104000\)$/);
    // something else came later: it is named
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+.5 > F. 11:11(0) ack 1'], 10,
      /expected > F\. 11:11\(0\) ack 1 at 0\.600000 .* but no packet was sent \(waited until 0\.662500\); the next one was > P\. 1:11\(10\) ack 1 win 8192 at 1\.100000/);
  });

  it('an extra packet fails at the next > line', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+.5 write(4, ..., 10) = 10', '+0 > P. 11:21(10) ack 1'], 10,
      /expected > P\. 11:21\(10\) ack 1 but got > P\. 1:11\(10\) ack 1 win 8192 at 0\.100000/);
  });

  it('a packet too early', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+.5 > P. 1:11(10) ack 1'], 9,
      /expected > P\. 1:11\(10\) ack 1 at 0\.600000 \(tolerance 0\.062500\) but got it at 0\.100000 \(too early\)/);
  });

  it('a packet too late (the retransmission after 1 s, expected after 0.5 s)', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+.5 > P. 1:11(10) ack 1'], 10,
      /expected > P\. 1:11\(10\) ack 1 at 0\.600000 \(tolerance 0\.062500\) but got it at 1\.100000 \(too late\)/);
  });

  it('a range that the packet misses', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+0.2~+0.8 > P. 1:11(10) ack 1'], 10,
      /in 0\.300000~0\.900000 \(tolerance 0\.025000\) but got it at 1\.100000 \(too late\)/);
    const r = runDrill([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+0.8~+1.2 > P. 1:11(10) ack 1'].join('\n'), 'ok.pkt');
    assert.ok(r.ok, r.message);
    check(r);
  });

  it('--tolerance_usecs widens every window', () => {
    const lines = [...OPEN, '+0 write(4, ..., 10) = 10', '+.3 > P. 1:11(10) ack 1'];
    fails(lines, 9, /too early/);
    const r = runDrill(['--tolerance_usecs=400000', ...lines].join('\n'), 'ok.pkt');
    assert.ok(r.ok, r.message);
    check(r);
  });

  it('a wrong return value and a wrong errno', () => {
    fails([...OPEN, '+0 write(4, ..., 10) = 11'], 8, /write\(4, \.\.\., 10\): expected 11 but got 10/);
    fails([...OPEN, '+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0', '+0 read(4, ..., 10) = -1 ECONNRESET (Connection reset by peer)'], 9,
      /read\(4, \.\.\., 10\): expected -1 ECONNRESET but got -1 EAGAIN \(Resource temporarily unavailable\)/);
    fails([...OPEN, '+0 < R. 1:1(0) ack 1 win 0', '+0 read(4, ..., 10) = -1 EPIPE'], 9,
      /expected -1 EPIPE but got -1 ECONNRESET \(Connection reset by peer\)/);
  });

  it('a wrong state', () => {
    fails([...OPEN, '+0 tcp_state(4) == CLOSE_WAIT'], 8, /tcp_state\(4\): expected CLOSE_WAIT but got ESTABLISHED/);
  });

  it('an event that can no longer happen on time', () => {
    // the retransmission is seen at 1.1 s: the absolute time 0.5 of line 11 has passed
    fails([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+1 > P. 1:11(10) ack 1', '0.5 close(4) = 0'], 11,
      /timing error: expected system call start at 0\.500000 sec but happened at 1\.100000 sec/);
  });

  it('a call without an end time holds the script while it blocks', () => {
    // nobody answers: the read returns when the retransmissions give up (RFC 1122 §4.2.3.5), and
    // the next line, relative, counts from then
    const r = runDrill([...OPEN, '+0 write(4, ..., 10) = 10', '+0 > P. 1:11(10) ack 1', '+0 read(4, ..., 10) = -1 ETIMEDOUT',
      '+0 tcp_state(4) == CLOSED'].join('\n'), 'ok.pkt');
    assert.ok(r.ok, r.message);
    check(r);
  });

  it('a blocking call that never returns', () => {
    fails([...OPEN, '+0 read(4, ..., 10) = 10'], 8, /the call still blocks after 600 s/);
  });

  it('a blocking call returning at the wrong time', () => {
    const base = ['0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', '+0 bind(3, ..., ...) = 0', '+0 listen(3, 1) = 0',
      '+0 < S 5000:5000(0) win 65535 <mss 1460>', '+0 > S. 0:0(0) ack 5001 win 8192 <mss 1460>'];
    const r = runDrill([...base, '+0...0.2 accept(3, ..., ...) = 4', '+.2 < . 1:1(0) ack 1 win 65535', '+0 tcp_state(4) == ESTABLISHED'].join('\n'), 'ok.pkt');
    assert.ok(r.ok, r.message);
    check(r);
    fails([...base, '+0...0.5 accept(3, ..., ...) = 4', '+.2 < . 1:1(0) ack 1 win 65535', '+1 tcp_state(4) == ESTABLISHED'], 6,
      /timing error: expected system call return at 0\.500000 sec but happened at 0\.200000 sec/);
  });

  it('unsupported lines and calls fail with their line', () => {
    fails([...OPEN, '+0 sendmsg(4, {msg_name(...)=...}, 0) = 10'], 8, /unsupported system call sendmsg/);
    fails([...OPEN, '+0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [1000], 4) = 0'], 8, /unsupported socket option SO_SNDBUF/);
    fails([...OPEN, '+0 `ip link set dev tun0 mtu 1000`'], 8, /unsupported command/);
    fails(['--foo=1', ...OPEN], 1, /unsupported option --foo/);
    fails([...OPEN, '+0 < udp (10)'], 8, /only TCP/);
  });
});

/** A listener whose connection (fd 4) negotiated SACK and timestamps (turned on: they are off by
 *  default); our SYN-ACK's TS val is 100 in script numbers. */
const OPEN_TS = [
  '--xs_TCP_TIMESTAMPS=true',
  '0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', // 1
  '+0  bind(3, ..., ...) = 0', // 2
  '+0  listen(3, 1) = 0', // 3
  '+0  < S 0:0(0) win 65535 <mss 1460,sackOK,TS val 700 ecr 0,nop,wscale 7>', // 4
  '+0  > S. 0:0(0) ack 1 win 8192 <mss 1460,sackOK,TS val 100 ecr 700,nop,wscale 0>', // 5
  '+.1 < . 1:1(0) ack 1 win 257 <nop,nop,TS val 710 ecr 100>', // 6
  '+0  accept(3, ..., ...) = 4', // 7
];

describe('drill runner: TCP option syntax as packetdrill treats it', function () {
  this.timeout(60000);

  it('the base script passes; our TS val is free unless --tcp_ts_tick_usecs is given', () => {
    const r = runDrill(OPEN_TS.join('\n') + '\n', 'neg.pkt');
    assert.ok(r.ok, r.message);
    check(r);
    fails(['--tcp_ts_tick_usecs=1000', ...OPEN_TS, '+.5 < P. 1:11(10) ack 1 win 257 <nop,nop,TS val 720 ecr 100>',
      '+0 > . 1:1(0) ack 11 <nop,nop,TS val 105 ecr 720>'], 11, /bad outbound TCP timestamp value/);
    // 600 ms after the SYN-ACK (TS val 100), at 1 ms a tick
    const ok = runDrill(['--tcp_ts_tick_usecs=1000', ...OPEN_TS, '+.5 < P. 1:11(10) ack 1 win 257 <nop,nop,TS val 720 ecr 100>',
      '+0 > . 1:1(0) ack 11 <nop,nop,TS val 700 ecr 720>'].join('\n') + '\n', 'neg.pkt');
    assert.ok(ok.ok, ok.message);
    check(ok);
  });

  it('an inbound ecr must name one of our TS vals (it is sent as the live value)', () => {
    fails([...OPEN_TS, '+0 < P. 1:11(10) ack 1 win 257 <nop,nop,TS val 720 ecr 555>'], 9,
      /unable to infer live TS ecr for script TS ecr 555/);
    const r = runDrill(['--tcp_ts_ecr_scaled=1', ...OPEN_TS, '+.1 < P. 1:11(10) ack 1 win 257 <nop,nop,TS val 720 ecr 555>'].join('\n')
      + '\n', 'neg.pkt');
    assert.ok(r.ok, r.message);
    check(r);
  });

  it('SACK blocks are compared relative to the peer\'s ISN', () => {
    fails([...OPEN_TS, '+0 < P. 101:201(100) ack 1 win 257 <nop,nop,TS val 720 ecr 100>',
      '+0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 710,nop,nop,sack 101:202>'], 10, /bad outbound TCP options/);
    fails([...OPEN_TS, '+0 < P. 101:201(100) ack 1 win 257 <nop,nop,TS val 720 ecr 100>',
      '+0 > . 1:1(0) ack 1 <nop,nop,TS val 100 ecr 710>'], 10, /bad outbound TCP options/);
  });

  it('option sysctls are 0 or 1 and may not change during the script', () => {
    const rest = OPEN_TS.slice(1).map((l) => l.replace(/^0 /, '+0 '));
    fails([OPEN_TS[0], '0 `sysctl -q net.ipv4.tcp_sack=0`', ...rest, '+0 `sysctl -q net.ipv4.tcp_sack=1`'], 10,
      /tcp_sack changed during the script/);
    fails([OPEN_TS[0], '0 `sysctl -q net.ipv4.tcp_timestamps=2`', ...rest], 2, /must be 0 or 1/);
  });
});
