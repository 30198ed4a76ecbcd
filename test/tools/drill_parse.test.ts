/**
 * The packetdrill-dialect parser: every construct the runner supports parses to the expected model,
 * and everything it does not support is an error naming the line.
 */
import assert from 'node:assert/strict';
import {
  parseScript, DrillParseError, formatSegment, formatTime,
  type PacketEvent, type SyscallEvent, type StateEvent, type CommandEvent,
} from '../../tools/drill/parse.js';
import { F_ACK, F_FIN, F_PSH, F_RST, F_SYN, F_ECE, F_CWR, F_URG } from '../../tools/rawpeer.js';

function throwsAt(text: string, line: number, re?: RegExp): void {
  assert.throws(() => parseScript(text, 't.pkt'), (e: unknown) => {
    assert.ok(e instanceof DrillParseError, 'DrillParseError expected, got ' + String(e));
    assert.equal(e.line, line, 'wrong line in: ' + e.message);
    assert.ok(e.message.startsWith('t.pkt:' + line + ': '), e.message);
    if (re) assert.match(e.message, re);
    return true;
  });
}

const pkt = (text: string): PacketEvent => {
  const s = parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n' + text, 't.pkt');
  const ev = s.events[1];
  assert.equal(ev.type, 'packet');
  return ev as PacketEvent;
};
const sys = (text: string): SyscallEvent => {
  const s = parseScript(text, 't.pkt');
  const ev = s.events[0];
  assert.equal(ev.type, 'syscall');
  return ev as SyscallEvent;
};

describe('drill: parser', () => {
  it('parses options on the first lines (with values, prefixes left to the runner)', () => {
    const s = parseScript('--tolerance_usecs=1000000\n--tcp_msl_ms=500 --ip_version=ipv4\n--verbose\n0 close(3) = 0\n');
    assert.deepEqual(s.options.map((o) => [o.name, o.value, o.line]), [
      ['tolerance_usecs', '1000000', 1], ['tcp_msl_ms', '500', 2], ['ip_version', 'ipv4', 2], ['verbose', null, 3],
    ]);
    const d = parseScript('--define=PROTO=IPPROTO_TCP\n0 close(3) = 0');
    assert.equal(d.options[0].value, 'PROTO=IPPROTO_TCP');
  });

  it('rejects an option after the first event', () => {
    throwsAt('0 close(3) = 0\n--tolerance_usecs=5\n', 2, /before the first event/);
  });

  it('parses every time form: absolute, .5, relative, any, ranges', () => {
    const s = parseScript([
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '.5 close(3) = 0',
      '+0.25 close(3) = 0',
      '* > . 1:1(0) ack 1',
      '1.0~1.2 > . 1:1(0) ack 1',
      '+0.1~+0.3 > . 1:1(0) ack 1',
      '3 close(3) = 0',
    ].join('\n'));
    const t = s.events.map((e) => e.time);
    assert.deepEqual(t[0], { kind: 'abs', start: 0, end: 0 });
    assert.deepEqual(t[1], { kind: 'abs', start: 500000, end: 500000 });
    assert.deepEqual(t[2], { kind: 'rel', start: 250000, end: 250000 });
    assert.equal(t[3].kind, 'any');
    assert.deepEqual(t[4], { kind: 'absRange', start: 1000000, end: 1200000 });
    assert.deepEqual(t[5], { kind: 'relRange', start: 100000, end: 300000 });
    assert.equal(formatTime(t[5]), '+0.1~+0.3');
    assert.deepEqual(s.events.map((e) => e.line), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('parses flags S, S., ., P., F., R, R., FP., -, E/W/U', () => {
    assert.equal(pkt('+0 < S 0:0(0) win 100').flags, F_SYN);
    assert.equal(pkt('+0 > S. 0:0(0) ack 1').flags, F_SYN | F_ACK);
    assert.equal(pkt('+0 < . 1:1(0) ack 1 win 100').flags, F_ACK);
    assert.equal(pkt('+0 < P. 1:11(10) ack 1 win 100').flags, F_PSH | F_ACK);
    assert.equal(pkt('+0 < F. 1:1(0) ack 1 win 100').flags, F_FIN | F_ACK);
    assert.equal(pkt('+0 > R 1:1(0)').flags, F_RST);
    assert.equal(pkt('+0 > R. 0:0(0) ack 1').flags, F_RST | F_ACK);
    assert.equal(pkt('+0 < FP. 1:11(10) ack 1 win 100').flags, F_FIN | F_PSH | F_ACK);
    assert.equal(pkt('+0 < - 1:1(0) win 100').flags, 0);
    assert.equal(pkt('+0 < SEW 0:0(0) win 100').flags, F_SYN | F_ECE | F_CWR);
    assert.equal(pkt('+0 < U. 1:1(0) ack 1 win 100 urg 5').flags, F_URG | F_ACK);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < SX 0:0(0) win 1', 2, /unknown TCP flag 'X'/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < SS 0:0(0) win 1', 2, /duplicate/);
  });

  it('parses start:end(len), ack, win, urg', () => {
    const p = pkt('+0 < P. 4294966000:4294967000(1000) ack 2000000000 win 65535 urg 3');
    assert.equal(p.dir, '<');
    assert.equal(p.seq, 4294966000);
    assert.equal(p.end, 4294967000);
    assert.equal(p.len, 1000);
    assert.equal(p.ack, 2000000000);
    assert.equal(p.win, 65535);
    assert.equal(p.urg, 3);
    const q = pkt('+0 > . 1:1(0) ack 1');
    assert.equal(q.win, null);
    assert.deepEqual(q.options, []);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < . 1:10(10) ack 1 win 1', 2, /inconsistent/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < . 1:1(0) ack 1 win 70000', 2, /window value out of range/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < . 1:1(0) ack 4294967296 win 1', 2, /ack sequence number out of range/);
    assert.equal(pkt('+0 < R 1:1(0) ack 7 win 0').ack, 7);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < . 1:1(0) ack 1', 2, /window must be specified for inbound packets/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < . 1:1(0) win 1 ack 1', 2, /misplaced/);
  });

  it('parses every TCP option and the <...> wildcard', () => {
    const p = pkt('+0 < S 0:0(0) win 100 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>');
    assert.deepEqual(p.options, [
      { kind: 'mss', value: 1460 }, { kind: 'sackOK' }, { kind: 'TS', val: 100, ecr: 0 }, { kind: 'nop' },
      { kind: 'wscale', value: 7 },
    ]);
    assert.deepEqual(pkt('+0 < . 1:1(0) ack 1 win 100 <nop,nop,sack 1:2 3:4>').options, [
      { kind: 'nop' }, { kind: 'nop' }, { kind: 'sack', blocks: [[1, 2], [3, 4]] }]);
    assert.deepEqual(pkt('+0 < S 0:0(0) win 100 <mss 1000,nop,nop,nop,eol>').options, [
      { kind: 'mss', value: 1000 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'eol' }]);
    assert.equal(pkt('+0 > S. 0:0(0) ack 1 <...>').options, null);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <...>', 2, /only be used with outbound/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <md5 abc>', 2, /unsupported TCP option: md5/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <mss 1460', 2, /',' or '>'/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <mss 1460,wscale 7>', 2, /not padded correctly.*3 excess bytes/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <sack 1:2 3:4 5:6 7:8,TS val 1 ecr 2>', 2, /TCP header too large/);
  });

  it('formats a segment back in packetdrill notation', () => {
    const p = pkt('+0 > S. 0:0(0) ack 1 win 8192 <mss 1460,nop,wscale 7>');
    assert.equal(formatSegment(p.dir, p.flags, p.seq, p.len, p.ack, p.win, p.urg, p.options),
      '> S. 0:0(0) ack 1 win 8192 <mss 1460,nop,wscale 7>');
    assert.equal(p.text, '+0 > S. 0:0(0) ack 1 win 8192 <mss 1460,nop,wscale 7>');
  });

  it('parses system calls with ..., symbols, arrays, structs, |, errno and note', () => {
    const a = sys('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3');
    assert.equal(a.name, 'socket');
    assert.deepEqual(a.args, [{ t: 'ellipsis' }, { t: 'word', v: 'SOCK_STREAM' }, { t: 'word', v: 'IPPROTO_TCP' }]);
    assert.deepEqual(a.ret, { t: 'int', v: 3, text: '3' });
    const b = sys('0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0');
    assert.deepEqual(b.args[3], { t: 'array', items: [{ t: 'int', v: 1, text: '1' }] });
    const c = sys('0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)');
    assert.equal(c.ret.t === 'int' && c.ret.v, -1);
    assert.equal(c.errno, 'EINPROGRESS');
    assert.equal(c.note, 'Operation now in progress');
    const d = sys('0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0');
    assert.equal(d.args[2].t, 'or');
    const e = sys('0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)');
    assert.deepEqual(e.ret, { t: 'int', v: 2, text: '0x2' });
    assert.equal(e.note, 'flags O_RDWR');
    assert.equal(e.errno, null);
    const f = sys('0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0');
    assert.deepEqual(f.args[3], { t: 'struct', fields: [
      { name: 'onoff', value: { t: 'int', v: 1, text: '1' } }, { name: 'linger', value: { t: 'int', v: 0, text: '0' } }] });
    const g = sys('0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.168.0.1")}, 16) = 0');
    const st = g.args[1];
    assert.ok(st.t === 'struct');
    assert.deepEqual(st.fields[1], { name: 'sin_port', value: { t: 'call', fn: 'htons', args: [{ t: 'int', v: 8080, text: '8080' }] } });
    assert.deepEqual(st.fields[2].value, { t: 'call', fn: 'inet_addr', args: [{ t: 'string', v: '192.168.0.1' }] });
    const h = sys('0 getsockopt(3, SOL_SOCKET, SO_ERROR, [ECONNREFUSED], [4]) = 0');
    assert.deepEqual(h.args[3], { t: 'array', items: [{ t: 'word', v: 'ECONNREFUSED' }] });
    const i = sys('0 read(4, ..., 1000) = -1 EAGAIN (Resource temporarily unavailable)');
    assert.equal(i.errno, 'EAGAIN');
    const j = sys('0 close(4) = 0 // trailing comment');
    assert.equal(j.note, null);
    assert.equal(j.endTime, null);
  });

  it('parses a blocking call with its end time (start...end)', () => {
    const s = parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...0.25 accept(3, ..., ...) = 4\n0.1...0.3 read(4, ..., 10) = 10');
    const a = s.events[1] as SyscallEvent;
    assert.equal(a.name, 'accept');
    assert.deepEqual(a.time, { kind: 'rel', start: 0, end: 0 });
    assert.equal(a.endTime, 250000);
    const b = s.events[2] as SyscallEvent;
    assert.equal(b.time.start, 100000);
    assert.equal(b.endTime, 300000);
  });

  it('parses the tcp_state(fd) == NAME extension', () => {
    const s = parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 tcp_state(4) == FIN_WAIT_2');
    const ev = s.events[1] as StateEvent;
    assert.equal(ev.type, 'state');
    assert.equal(ev.fd, 4);
    assert.equal(ev.state, 'FIN_WAIT_2');
    const any = parseScript('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 tcp_state(...) == SYN_RCVD').events[1] as StateEvent;
    assert.equal(any.fd, -1);
    assert.equal(any.state, 'SYN_RCVD');
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 tcp_state(4) == FIN_WAIT2', 2, /TCP state name/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 tcp_state(4) = LISTEN', 2, /==/);
  });

  it('parses backquoted commands (init command and events)', () => {
    const s = parseScript('`sysctl -q net.ipv4.tcp_sack=0`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sleep 1000000`');
    assert.deepEqual(s.initCommand, { command: 'sysctl -q net.ipv4.tcp_sack=0', line: 1 });
    const c = s.events[1] as CommandEvent;
    assert.equal(c.type, 'command');
    assert.equal(c.command, 'sleep 1000000');
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `sleep 1000000\n', 2, /unterminated backquoted/);
  });

  it('ignores // and /* */ comments and keeps line numbers across them', () => {
    const s = parseScript('/* a\n multi-line\n comment */\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // c\n// +0 close(3) = 0\n\n+0 close(3) = 0');
    assert.deepEqual(s.events.map((e) => e.line), [4, 7]);
  });

  it('fails loudly, with the line, on what it does not support', () => {
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < udp (10)', 2, /only TCP/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 > icmp unreachable', 2, /only TCP/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < [ect0] S 0:0(0) win 1', 2, /tos/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ print(tcpi_rto) }%', 2, /code snippets/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\nhello world', 2, /no time/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 close(3)', 2, /= result/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 ! 3', 2, /unsupported event/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\n/* never closed', 3, /unterminated/);
  });

  it('checks packetdrill semantics: * and ranges only for outbound packets, time 0 first, no going back', () => {
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n* < . 1:1(0) ack 1 win 1', 2, /only be used with outbound/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.1~0.2 close(3) = 0', 2, /range can only/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n0.3~0.2 > . 1:1(0) ack 1', 2, /backwards/);
    throwsAt('\n0.5 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3', 2, /first event should be at time 0/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n1 close(3) = 0\n0.5 close(4) = 0', 3, /time goes backward/);
    throwsAt('0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0.1~0.2 > . 1:1(0) ack 1', 2, /relative/);
    throwsAt('// nothing\n', 1, /no events/);
  });

  it('parses the seed 002 FIN_WAIT_1 script (tolerance_usec prefix option, .1 times)', () => {
    const s = parseScript([
      '--tolerance_usecs=1000000',
      '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3',
      '+0 bind(3, ..., ...) = 0',
      '+0 listen(3, 1) = 0',
      '',
      '+0 < S 0:0(0) win 65535 <mss 100>',
      '+0 > S. 0:0(0) ack 1 <...>',
      '.1 < . 1:1(0) ack 1 win 65535',
      '+.1 accept(3, ..., ...) = 4',
      '+.1 close(4) = 0 // 服务端主动断开连接',
      '+0 `sleep 1000000`',
    ].join('\n'));
    assert.equal(s.events.length, 9);
    assert.deepEqual(s.events.map((e) => e.type), ['syscall', 'syscall', 'syscall', 'packet', 'packet', 'packet', 'syscall', 'syscall', 'command']);
    assert.equal(s.events[5].time.kind, 'abs');
    assert.equal(s.events[5].time.start, 100000);
  });
});
