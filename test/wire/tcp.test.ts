/**
 * src/wire/tcp.ts: the header and options of RFC 9293 §3.1, RFC 7323 and RFC 2018 against segments
 * the Linux kernel sent, each malformed option case, sequence numbers at the top of the 32-bit space,
 * and the checksum with its pseudo-header over chains.
 */
import assert from 'node:assert/strict';
import {
  TCP_HLEN, TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_ERR_SHORT, TCP_ERR_HDRLEN,
  TCP_ERR_OPT, TcpSegInfo, tcpParse, tcpWriteHeader, tcpWriteOptMss,
  tcpChecksum, tcpSrcPort, tcpDstPort, tcpSeq, tcpSetChksum,
} from '../../src/wire/tcp.js';
import { seqAdd, seqLt } from '../../src/core/seq.js';
import { SeededRandom } from '../../src/core/random.js';
import {
  CAPTURED, hex, ip, refTransportChecksum, makeChain, be16, be32, KERNEL_IP, PEER_IP,
} from '../helpers/wire-ref.js';

const OFF = 34;

function seg(name: keyof typeof CAPTURED): Uint8Array {
  return Uint8Array.from(hex(CAPTURED[name]).subarray(OFF));
}

/** A segment built from RFC 9293's layout: fixed header, the given option bytes, payload. */
function build(opts: number[], o: { seq?: number; ack?: number; flags?: number; payload?: number; doff?: number } = {}): Uint8Array {
  const hl = TCP_HLEN + opts.length;
  const s = new Uint8Array(hl + (o.payload ?? 0));
  s.set([0x04, 0xd2, 0x00, 0x50], 0);
  const sq = o.seq ?? 1;
  const ak = o.ack ?? 0;
  s.set([sq >>> 24, (sq >>> 16) & 255, (sq >>> 8) & 255, sq & 255, ak >>> 24, (ak >>> 16) & 255, (ak >>> 8) & 255, ak & 255], 4);
  s[12] = (o.doff ?? (hl >> 2)) << 4;
  s[13] = o.flags ?? TCP_SYN;
  s[14] = 0xff; s[15] = 0xff;
  s.set(opts, TCP_HLEN);
  return s;
}

type Opts = [mss: number, ws: number, sackPerm: boolean, ts: boolean, tsVal: number, tsEcr: number, sackCount: number];
function opts(s: TcpSegInfo): Opts {
  return [s.optMss, s.optWscale, s.optSackPermitted, s.optTsPresent, s.optTsVal, s.optTsEcr, s.sackCount];
}

describe('wire/tcp: parsing kernel segments', () => {
  it('the Linux SYN: mss 1460,sackOK,TS val 3893801072 ecr 0,nop,wscale 10', () => {
    const f = hex(CAPTURED.syn);
    const s = new TcpSegInfo();
    assert.equal(tcpParse(f, OFF, f.length - OFF, s), 0);
    assert.deepEqual([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.wnd, s.hdrLen, s.urgPtr, s.chksum, s.dataLen],
      [38834, 80, 2592746662, 0, TCP_SYN, 64240, 40, 0, 0x40b5, 0]);
    assert.deepEqual(opts(s), [1460, 10, true, true, 3893801072, 0, 0]);
    assert.equal(s.flags, TCP_SYN);
    assert.equal(tcpChecksum(makeChain(f.subarray(OFF), []), 40, KERNEL_IP, PEER_IP), 0);
  });

  it('the ACK of a SYN-ACK whose ISS was 0xfffffff0: ack 4294967281, unsigned', () => {
    const f = hex(CAPTURED.ack);
    const s = new TcpSegInfo();
    assert.equal(tcpParse(f, OFF, f.length - OFF, s), 0);
    assert.equal(s.ack, 4294967281);
    assert.equal(s.seq, 2592746663);
    assert.deepEqual([s.flags, s.wnd, s.hdrLen, s.dataLen], [TCP_ACK, 63, 32, 0]);
    assert.deepEqual(opts(s), [0, -1, false, true, 3893801073, 287454020, 0]);
    assert.equal(s.flags, TCP_ACK);
  });

  it('a data segment: dataLen = len - hdrLen, P.', () => {
    const f = hex(CAPTURED.data);
    const s = new TcpSegInfo();
    assert.equal(tcpParse(f, OFF, f.length - OFF, s), 0);
    assert.equal(s.hdrLen, 32);
    assert.equal(s.dataLen, 12);
    assert.equal(new TextDecoder().decode(f.subarray(OFF + s.hdrLen)), 'hello, wire\n');
    assert.equal(s.flags, TCP_PSH | TCP_ACK);
    assert.equal(s.optTsVal, 3893801124);
    assert.equal(tcpChecksum(makeChain(f.subarray(OFF), [33]), f.length - OFF, KERNEL_IP, PEER_IP), 0);
  });

  it('the SYN-ACK acknowledging ISS 0xfffffffe: ack 4294967295, TS ecr 0xdeadbeef', () => {
    const f = hex(CAPTURED.synack);
    const s = new TcpSegInfo();
    assert.equal(tcpParse(f, OFF, f.length - OFF, s), 0);
    assert.deepEqual([s.srcPort, s.dstPort, s.seq, s.ack, s.wnd], [7777, 40000, 480102632, 4294967295, 65160]);
    assert.deepEqual(opts(s), [1460, 10, true, true, 3276469702, 0xdeadbeef, 0]);
    assert.equal(s.flags, TCP_SYN | TCP_ACK);
  });

  it('the RST,ACK for a closed port: no options', () => {
    const f = hex(CAPTURED.rst);
    const s = new TcpSegInfo();
    assert.equal(tcpParse(f, OFF, f.length - OFF, s), 0);
    assert.deepEqual([s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.wnd, s.hdrLen, s.dataLen],
      [9, 40001, 0, 1001, TCP_RST | TCP_ACK, 0, 20, 0]);
    assert.deepEqual(opts(s), [0, -1, false, false, 0, 0, 0]);
    assert.equal(s.flags, TCP_RST | TCP_ACK);
  });

  it('accessors read the same fields as the parser, from the first 8 octets alone', () => {
    const f = seg('data').subarray(0, 8);
    assert.deepEqual([tcpSrcPort(f, 0), tcpDstPort(f, 0), tcpSeq(f, 0)], [38834, 80, 2592746663]);
  });
});

describe('wire/tcp: writing', () => {
  it('tcpWriteHeader + tcpChecksum rebuild all five kernel segments byte for byte (options copied)', () => {
    const s = new TcpSegInfo();
    for (const name of ['syn', 'ack', 'data', 'synack', 'rst'] as const) {
      const orig = seg(name);
      assert.equal(tcpParse(orig, 0, orig.length, s), 0);
      const out = new Uint8Array(orig.length + 6).fill(0xaa);
      const o = 3;
      tcpWriteHeader(out, o, s.srcPort, s.dstPort, s.seq, s.ack, s.hdrLen, s.flags, s.wnd, s.urgPtr);
      out.set(orig.subarray(TCP_HLEN), o + TCP_HLEN);
      const chain = makeChain(out.subarray(o, o + orig.length), [TCP_HLEN + 1], 1);
      const sum = tcpChecksum(chain, orig.length, KERNEL_IP, PEER_IP);
      assert.equal(sum, refTransportChecksum(out.subarray(o, o + orig.length), KERNEL_IP, PEER_IP, 6), name);
      tcpSetChksum(out, o, sum);
      assert.deepEqual(out.subarray(o, o + orig.length), orig, name);
      assert.equal(out[o - 1], 0xaa);
      assert.equal(out[o + orig.length], 0xaa);
    }
  });

  it('the MSS option writer returns its length and emits the RFC 9293 §3.2 layout', () => {
    const b = new Uint8Array(6).fill(0xaa);
    assert.equal(tcpWriteOptMss(b, 1, 1436), 4);
    assert.deepEqual(Array.from(b), [0xaa, 2, 4, 0x05, 0x9c, 0xaa]);
  });

  it('sequence numbers near 2^32 round-trip as unsigned', () => {
    const s = new TcpSegInfo();
    const b = new Uint8Array(TCP_HLEN);
    const values = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, -1, -2, 2 ** 32 + 5];
    for (const v of values) {
      tcpWriteHeader(b, 0, 65535, 0, v, seqAdd(v >>> 0, 1), TCP_HLEN, TCP_ACK, 65535, 65535);
      assert.equal(tcpParse(b, 0, TCP_HLEN, s), 0);
      assert.equal(s.seq, v >>> 0, 'seq ' + v);
      assert.equal(tcpSeq(b, 0), v >>> 0, 'tcpSeq ' + v);
      assert.equal(s.ack, (v + 1) >>> 0, 'ack ' + v);
      assert.ok(s.seq >= 0 && s.ack >= 0);
      assert.ok(seqLt(s.seq, s.ack));
      assert.deepEqual([s.srcPort, s.dstPort, s.wnd, s.urgPtr], [65535, 0, 65535, 65535]);
    }
  });

  it('all eight control bits survive', () => {
    const s = new TcpSegInfo();
    const b = new Uint8Array(TCP_HLEN);
    tcpWriteHeader(b, 0, 1, 2, 3, 4, TCP_HLEN, 0xff, 5, 6);
    assert.equal(tcpParse(b, 0, TCP_HLEN, s), 0);
    assert.equal(s.flags, 0xff);
    assert.equal(b[12], 0x50, 'reserved bits zero');
    assert.equal(be16(b, 16), 0, 'checksum zeroed by tcpWriteHeader');
  });
});

describe('wire/tcp: refusals', () => {
  it('every length below 20 is SHORT, every cut inside the options HDRLEN', () => {
    const f = seg('syn');
    const s = new TcpSegInfo();
    for (let n = 0; n < TCP_HLEN; n++) assert.equal(tcpParse(f, 0, n, s), TCP_ERR_SHORT, 'len ' + n);
    for (let n = TCP_HLEN; n < 40; n++) assert.equal(tcpParse(f, 0, n, s), TCP_ERR_HDRLEN, 'len ' + n);
    assert.equal(s.hdrLen, 0, 'untouched');
    assert.equal(tcpParse(f, 0, 40, s), 0);
  });

  it('a data offset below 5 is HDRLEN', () => {
    const s = new TcpSegInfo();
    for (let d = 0; d < 5; d++) {
      const b = build([], { doff: d, payload: 40 });
      assert.equal(tcpParse(b, 0, b.length, s), TCP_ERR_HDRLEN, 'doff ' + d);
    }
    const b = build([], { doff: 15 });
    assert.equal(tcpParse(b, 0, 59, s), TCP_ERR_HDRLEN);
  });

  it('each malformed option is TCP_ERR_OPT', () => {
    const z = (n: number) => new Array(n).fill(0);
    const cases: [string, number[]][] = [
      ['MSS length 0', [2, 0, 0, 0]],
      ['MSS length 1', [2, 1, 0, 0]],
      ['unknown kind, length 0', [30, 0, 0, 0]],
      ['unknown kind, length 1', [30, 1, 1, 1]],
      ['kind with no room for its length byte', [1, 1, 1, 2]],
      ['unknown kind with no room for its length byte', [1, 1, 1, 30]],
      ['MSS running past the header', [1, 1, 2, 4]],
      ['MSS one byte past the header', [1, 2, 4, 5]],
      ['unknown kind one byte past the header', [1, 30, 4, 0]],
      ['unknown kind running past the header', [30, 8, 0, 0]],
      ['TS running past a full 60-byte header', [...new Array(32).fill(1), 8, 10, 0, 0, 0, 0, 0, 0]],
      ['MSS length 3', [2, 3, 5, 1]],
      ['MSS length 5', [2, 5, 5, 180, 0, 1, 1, 1]],
      ['WS length 2', [3, 2, 1, 1]],
      ['WS length 4', [3, 4, 7, 0]],
      ['SACK-permitted length 3', [4, 3, 0, 1]],
      ['SACK-permitted length 4', [4, 4, 0, 0]],
      ['TS length 8', [8, 8, ...z(6), 1, 1, 1, 1]],
      ['TS length 12', [8, 12, ...z(10)]],
      ['SACK with no block (length 2)', [5, 2, 1, 1]],
      ['SACK length 9', [5, 9, ...z(10)]],
      ['SACK length 11', [5, 11, ...z(10)]],
      ['SACK length 3', [5, 3, 0, 1]],
      ['valid options, then a bad one', [2, 4, 5, 180, 1, 3, 3, 7, 4, 2, 3, 1]],
    ];
    const s = new TcpSegInfo();
    for (const [what, o] of cases) {
      assert.equal(o.length % 4, 0, what);
      for (const payload of [0, 8]) {
        const b = build(o, { payload });
        assert.equal(tcpParse(b, 0, b.length, s), TCP_ERR_OPT, what + ', payload ' + payload);
      }
    }
    assert.equal(s.hdrLen, 0, 'untouched');
  });

  it('a damaged byte anywhere fails the checksum; a chain cut anywhere does not', () => {
    const f = seg('data');
    for (let cut = 0; cut <= f.length; cut++) {
      assert.equal(tcpChecksum(makeChain(f, [cut], cut % 3 === 0 ? 0 : 1, cut % 2 === 0), f.length, KERNEL_IP, PEER_IP), 0,
        'cut ' + cut);
    }
    for (let i = 0; i < f.length; i++) {
      const g = Uint8Array.from(f);
      g[i] ^= 0x81;
      assert.notEqual(tcpChecksum(makeChain(g, [i]), g.length, KERNEL_IP, PEER_IP), 0, 'byte ' + i);
    }
    assert.notEqual(tcpChecksum(makeChain(f, []), f.length, KERNEL_IP, ip('10.77.0.9')), 0, 'pseudo-header');
  });
});

describe('wire/tcp: option parsing', () => {
  it('unknown kinds with a valid length are skipped, and what follows is read', () => {
    const s = new TcpSegInfo();
    // 30 (MPTCP-like, len 4), 34 (TFO cookie request, len 2), 254 experimental (len 4), then MSS
    const b = build([30, 4, 0, 0, 34, 2, 254, 4, 0xf9, 0x89, 1, 1, 2, 4, 0x02, 0x18]);
    assert.equal(tcpParse(b, 0, b.length, s), 0);
    assert.equal(s.optMss, 536);
  });

  it('EOL ends the list: bytes after it are ignored even if they look malformed', () => {
    const s = new TcpSegInfo();
    const b = build([2, 4, 5, 180, 0, 2, 0, 8]);
    assert.equal(tcpParse(b, 0, b.length, s), 0);
    assert.equal(s.optMss, 1460);
    const c = build([0, 2, 4, 5]);
    assert.equal(tcpParse(c, 0, c.length, s), 0);
    assert.equal(s.optMss, 0);
  });

  it('NOP padding anywhere is accepted', () => {
    const s = new TcpSegInfo();
    const b = build([1, 1, 1, 1, 1, 1, 1, 4, 2, 1, 1, 1]);
    assert.equal(tcpParse(b, 0, b.length, s), 0);
    assert.equal(s.optSackPermitted, true);
  });

  it('window scale above 14 is accepted as 14 (RFC 7323 §2.3)', () => {
    const s = new TcpSegInfo();
    for (const [shift, expect] of [[0, 0], [7, 7], [14, 14], [15, 14], [100, 14], [255, 14]]) {
      const b = build([1, 3, 3, shift]);
      assert.equal(tcpParse(b, 0, b.length, s), 0);
      assert.equal(s.optWscale, expect, 'shift ' + shift);
    }
  });

  it('SACK blocks 1..4 near the top of the sequence space, with timestamps alongside', () => {
    const s = new TcpSegInfo();
    const edges = [0xfffffff0, 0x00000010, 0xffffffff, 0, 0x7fffffff, 0x80000001, 5, 6];
    for (let n = 1; n <= 4; n++) {
      const o = [1, 1, 5, 2 + 8 * n];
      for (let k = 0; k < 2 * n; k++) {
        const v = edges[k];
        o.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
      }
      if (n <= 3) o.push(1, 1, 8, 10, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff);
      const b = build(o, { flags: TCP_ACK, payload: 3 });
      assert.equal(tcpParse(b, 0, b.length, s), 0, 'n ' + n);
      assert.equal(s.sackCount, n);
      assert.deepEqual(Array.from(s.sackBlocks.subarray(0, 2 * n)), edges.slice(0, 2 * n));
      assert.equal(s.optTsPresent, n <= 3);
      if (n <= 3) assert.equal(s.optTsEcr, 0xffffffff);
      assert.equal(s.dataLen, 3);
    }
  });

  it('every field is reset by the next parse (options absent mean absent)', () => {
    const s = new TcpSegInfo();
    const syn = seg('syn');
    assert.equal(tcpParse(syn, 0, syn.length, s), 0);
    const sack = build([1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2], { flags: TCP_ACK });
    assert.equal(tcpParse(sack, 0, sack.length, s), 0);
    assert.equal(s.sackCount, 1);
    const rst = seg('rst');
    assert.equal(tcpParse(rst, 0, rst.length, s), 0);
    assert.deepEqual(opts(s), [0, -1, false, false, 0, 0, 0]);
    assert.equal(s.hdrLen, 20);
  });

  it('random well-formed option lists parse to what a second, naive reader sees (500 lists)', () => {
    const r = new SeededRandom(7323);
    const s = new TcpSegInfo();
    for (let n = 0; n < 500; n++) {
      const o: number[] = [];
      for (;;) {
        const pick = r.nextU32() % 7;
        const opt: number[] = [];
        if (pick === 0) opt.push(1);
        else if (pick === 1) { const m = 1 + (r.nextU32() % 65535); opt.push(2, 4, m >>> 8, m & 255); }
        else if (pick === 2) opt.push(3, 3, r.nextU32() & 255);
        else if (pick === 3) opt.push(4, 2);
        else if (pick === 4) for (let k = 0; k < 10; k++) opt.push(k === 0 ? 8 : k === 1 ? 10 : r.nextU32() & 255);
        else if (pick === 5) { const l = 2 + (r.nextU32() % 6); opt.push(40 + (r.nextU32() % 200), l, ...new Array(l - 2).fill(7)); }
        if (opt.length === 0 || o.length + opt.length > 40) break;
        o.push(...opt);
      }
      while (o.length % 4 !== 0) o.push(0);
      const b = build(o);
      assert.equal(tcpParse(b, 0, b.length, s), 0, 'list ' + n);
      assert.deepEqual(opts(s).slice(0, 6), reparse(o), 'list ' + n);
    }
  });

  it('leaves scalar fields untouched on an error', () => {
    const s = new TcpSegInfo();
    const bad = build([2, 3, 0, 0]);
    assert.equal(tcpParse(bad, 0, bad.length, s), TCP_ERR_OPT);
    assert.deepEqual([s.srcPort, s.seq, s.hdrLen, s.optMss, s.optWscale, s.sackCount], [0, 0, 0, 0, -1, 0]);
  });
});

/** A straightforward second reading of a well-formed option list (test reference). */
function reparse(o: number[]): [number, number, boolean, boolean, number, number] {
  let mss = 0, ws = -1, sp = false, ts = false, tv = 0, te = 0;
  for (let i = 0; i < o.length;) {
    const k = o[i];
    if (k === 0) break;
    if (k === 1) { i++; continue; }
    const l = o[i + 1];
    if (k === 2) mss = o[i + 2] * 256 + o[i + 3];
    if (k === 3) ws = Math.min(o[i + 2], 14);
    if (k === 4) sp = true;
    if (k === 8) { ts = true; tv = be32(o, i + 2); te = be32(o, i + 6); }
    i += l;
  }
  return [mss, ws, sp, ts, tv, te];
}
