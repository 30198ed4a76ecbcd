/**
 * The raw API's contracts (lwIP names and semantics) and its misuse: every wrong call returns an
 * error code and changes nothing; a handle to a freed connection can never reach the pool entry's
 * next user; callbacks' return values (refused data, ERR_ABRT) are honoured; tcp_sent / tcp_poll /
 * tcp_sndbuf / Nagle / backlog behave as lwIP documents them; and the places where the stack does
 * better than lwIP: no 200 ms stall for data written in a callback or for a window update, TIME_WAIT
 * recycling when the pcb pool is full, unpredictable ISNs (RFC 6528), ephemeral ports.
 */
import assert from 'node:assert/strict';
import {
  tcp_new, tcp_bind, tcp_listen, tcp_listen_with_backlog, tcp_accept, tcp_connect, tcp_write, tcp_output,
  tcp_recv, tcp_recved, tcp_sent, tcp_err, tcp_poll, tcp_arg, tcp_close, tcp_shutdown, tcp_abort, tcp_sndbuf,
  tcp_sndqueuelen, tcp_nagle_disable, tcp_nagle_enable, tcp_nagle_disabled, tcp_keepalive_set,
  tcp_set_recv_wnd, tcp_backlog_delayed, tcp_backlog_accepted, tcp_state, tcp_state_name, tcp_local_ip,
  tcp_local_port, tcp_remote_ip, tcp_remote_port, tcp_is_alive, ip_set_option, netstat,
  SOF_REUSEADDR, SOF_KEEPALIVE, TCP_WRITE_FLAG_COPY, TCP_WRITE_FLAG_MORE, CLOSED, LISTEN, type TcpPcb,
} from '../../src/api/tcp_api.js';
import {
  ERR_OK, ERR_MEM, ERR_VAL, ERR_USE, ERR_CONN, ERR_CLSD, ERR_ARG, ERR_ABRT, ERR_RST, ERR_ISCONN,
} from '../../src/core/err.js';
import { pbuf_free } from '../../src/core/pbuf.js';
import { ip4FromString } from '../../src/core/ip4addr.js';
import type { Stack } from '../../src/api/stack.js';
import { MockNet } from '../../tools/mocknet.js';
import { assertPoolsFull } from '../helpers/pools.js';
import {
  setup, established, activeEstablished, listen, connect, stateOf, sq, patternBytes, FAST,
  TcpPeer, App, type Fixture, type Listener, type Seg,
} from '../helpers/tcppeer.js';

const ARRIVE = 1;
const PISN = 0xfffffff0;

function finish(f: Fixture, listeners: (Listener | TcpPcb)[] = [], apps: App[] = []): void {
  for (const a of apps) if (tcp_is_alive(a.pcb)) tcp_abort(a.pcb);
  for (const l of listeners) {
    const pcb = 'apps' in l ? l.pcb : l;
    if (tcp_is_alive(pcb)) tcp_close(pcb);
  }
  f.net.run(2100);
  assertPoolsFull(f.stack);
}

function pcbPoolUsed(stack: Stack): number {
  return stack.pools().find((p) => p.name === 'tcp_pcb')!.stats.used;
}

/** The peer acknowledges every data/FIN segment the stack sends until it has been quiet for `quietMs`. */
function ackAll(peer: TcpPeer, quietMs = 50, win?: number): Seg[] {
  const got: Seg[] = [];
  for (;;) {
    const s = peer.next(quietMs);
    if (s === null) return got;
    got.push(s);
    if (s.seqLen > 0) peer.send({ flags: '.', seq: s.ack, ack: sq(s.seq, s.seqLen), win });
  }
}

describe('TCP raw API', () => {
  describe('misuse returns error codes', () => {
    it('listener: tcp_write/tcp_connect/tcp_shutdown -> ERR_CONN, tcp_bind -> ERR_VAL; it keeps listening', () => {
      const f = setup();
      const lis = listen(f.stack, 80);
      const l = lis.pcb;
      assert.equal(tcp_write(l, new Uint8Array(10), 10, TCP_WRITE_FLAG_COPY), ERR_CONN);
      assert.equal(tcp_connect(l, '10.0.0.2', 5000, null), ERR_CONN);
      assert.equal(tcp_bind(l, 0, 81), ERR_VAL);
      assert.equal(tcp_shutdown(l, false, true), ERR_CONN);
      tcp_recved(l, 100); // no effect, no throw
      assert.equal(tcp_sndbuf(l), 0);
      assert.equal(tcp_state(l), LISTEN);
      f.peer.expectNone(50);
      f.peer.handshake({ isn: PISN });
      assert.equal(lis.apps.length, 1);
      finish(f, [lis], lis.apps);
    });

    it('tcp_bind twice -> ERR_VAL; foreign address -> ERR_VAL; bad port -> ERR_ARG; bad IP text -> ERR_ARG', () => {
      const f = setup();
      const pcb = tcp_new(f.stack) as TcpPcb;
      assert.equal(tcp_bind(pcb, '10.0.0.9', 1000), ERR_VAL, 'not our address');
      assert.equal(tcp_bind(pcb, 0, 70000), ERR_ARG);
      assert.equal(tcp_bind(pcb, 0, -1), ERR_ARG);
      assert.equal(tcp_bind(pcb, 'nonsense', 1000), ERR_ARG);
      assert.equal(tcp_bind(pcb, '10.0.0.1', 1000), ERR_OK);
      assert.equal(tcp_bind(pcb, 0, 1001), ERR_VAL, 'already bound');
      assert.equal(tcp_local_port(pcb), 1000);
      assert.equal(tcp_local_ip(pcb), ip4FromString('10.0.0.1'));
      assert.equal(tcp_close(pcb), ERR_OK);
      finish(f);
    });

    it('tcp_bind to a port in use -> ERR_USE (a listener\'s port even with SO_REUSEADDR)', () => {
      const f = setup();
      const lis = listen(f.stack, 80);
      const a = tcp_new(f.stack) as TcpPcb;
      assert.equal(tcp_bind(a, 0, 80), ERR_USE);
      ip_set_option(a, SOF_REUSEADDR);
      assert.equal(tcp_bind(a, 0, 80), ERR_USE, 'a listener always owns its port');
      assert.equal(tcp_bind(a, '10.0.0.1', 80), ERR_USE, 'specific address vs wildcard listener');
      // a connection's port
      const b = tcp_new(f.stack) as TcpPcb;
      assert.equal(tcp_bind(b, 0, 9000), ERR_OK);
      const c = tcp_new(f.stack) as TcpPcb;
      assert.equal(tcp_bind(c, 0, 9000), ERR_USE);
      for (const p of [a, b, c]) assert.equal(tcp_close(p), ERR_OK);
      finish(f, [lis]);
    });

    it('SO_REUSEADDR lets a restarted server rebind while old connections sit in TIME_WAIT (seed 004)', () => {
      const f = setup();
      const { peer, stack } = f;
      const lis = listen(stack, 8000, { reuse: true });
      peer.stackPort = 8000;
      peer.handshake({ isn: PISN });
      const app = lis.apps[0];
      // the server closes first: it ends in TIME_WAIT
      assert.equal(tcp_close(app.pcb), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0) }, 10);
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(1) });
      peer.expect({ flags: '.', ack: peer.p(1) }, 10);
      assert.equal(stateOf(stack, 8000, peer.port), 'TIME_WAIT');
      // the server restarts
      assert.equal(tcp_close(lis.pcb), ERR_OK);
      const plain = tcp_new(stack) as TcpPcb;
      assert.equal(tcp_bind(plain, 0, 8000), ERR_USE, 'without SO_REUSEADDR: address in use');
      assert.equal(tcp_close(plain), ERR_OK);
      const lis2 = listen(stack, 8000, { reuse: true });
      assert.equal(stateOf(stack, 8000), 'LISTEN');
      assert.equal(stateOf(stack, 8000, peer.port), 'TIME_WAIT', 'the old connection is still there');
      // a new client is served
      peer.port = 40001;
      peer.handshake({ isn: 77 });
      assert.equal(lis2.apps.length, 1);
      finish(f, [lis2], lis2.apps);
    });

    it('tcp_connect: on a connecting pcb -> error, no second SYN; on an established one -> ERR_ISCONN', () => {
      const f = setup();
      const app = connect(f.stack, '10.0.0.2', 5000);
      const syn = f.peer.expect({ flags: 'S' }, 10);
      assert.notEqual(tcp_connect(app.pcb, '10.0.0.2', 5001, null), ERR_OK);
      f.peer.expectNone(100);
      f.peer.send({ flags: 'S.', seq: PISN, ack: sq(syn.seq, 1), srcPort: 5000, dstPort: syn.srcPort });
      f.peer.expect({ flags: '.' }, 10);
      assert.equal(tcp_connect(app.pcb, '10.0.0.2', 5000, null), ERR_ISCONN);
      assert.equal(tcp_connect(app.pcb, '10.0.0.2', 0, null), ERR_ARG);
      finish(f, [], [app]);
    });

    it('tcp_close twice -> ERR_CLSD; every call on the closed handle is an error or a no-op', () => {
      const f = established({ isn: PISN });
      const { app, peer } = f;
      assert.equal(tcp_close(app.pcb), ERR_OK);
      assert.equal(tcp_close(app.pcb), ERR_CLSD);
      assert.equal(tcp_write(app.pcb, new Uint8Array(4), 4, TCP_WRITE_FLAG_COPY), ERR_CLSD);
      assert.equal(tcp_output(app.pcb), ERR_CLSD);
      assert.equal(tcp_shutdown(app.pcb, true, true), ERR_CLSD);
      tcp_abort(app.pcb); // no-op: the stack owns the closing connection now
      peer.expect({ flags: 'F.', seq: peer.s(0) }, 10, 'exactly one FIN');
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(1) });
      peer.expect({ flags: '.', ack: peer.p(1) }, 10);
      peer.expectNone(100, 'no RST from the tcp_abort on a dead handle');
      finish(f, [f.lis]);
    });

    it('tcp_write argument checks: len > data -> ERR_ARG; offset honoured; zero length is a no-op', () => {
      const f = established({ isn: PISN });
      const { app, peer } = f;
      const data = patternBytes(100);
      assert.equal(tcp_write(app.pcb, data, 101, TCP_WRITE_FLAG_COPY), ERR_ARG);
      assert.equal(tcp_write(app.pcb, data, 10, TCP_WRITE_FLAG_COPY, 95), ERR_ARG);
      assert.equal(tcp_write(app.pcb, data, 0, TCP_WRITE_FLAG_COPY), ERR_OK);
      assert.equal(tcp_sndqueuelen(app.pcb), 0);
      assert.equal(tcp_write(app.pcb, data, 10, TCP_WRITE_FLAG_COPY, 50), ERR_OK);
      tcp_output(app.pcb);
      peer.expect({ flags: 'P.', seq: peer.s(0), data: data.slice(50, 60) }, 10);
      finish(f, [f.lis], [app]);
    });
  });

  describe('use after free is impossible', () => {
    it('a handle kept after tcp_err never reaches the reused pool entry', () => {
      // one pcb in the pool: the second connection must reuse the first one's entry
      const f = setup({ config: { MEMP_NUM_TCP_PCB: 1 } });
      const { peer, stack } = f;
      const lis = listen(stack, 80, { app: { autoRecved: false } });
      peer.port = 40001;
      peer.handshake({ isn: PISN });
      const old = lis.apps[0];
      const oldHandle = old.pcb;
      const entry = oldHandle.conn;
      assert.ok(entry !== null);
      // the peer resets the first connection: tcp_err, the entry goes back to the pool
      peer.send({ flags: 'R', seq: peer.p(0) });
      f.net.run(ARRIVE);
      assert.equal(old.err, ERR_RST);
      // a new connection takes the same entry
      peer.port = 40002;
      peer.handshake({ isn: 1000 });
      const fresh = lis.apps[1];
      assert.equal(fresh.pcb.conn, entry, 'the pool entry was reused (MEMP_NUM_TCP_PCB = 1)');
      assert.notEqual(fresh.pcb, oldHandle);
      // the new connection holds 10 unread octets (Recv-Q 10 in netstat)
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'fresh data' });
      f.net.run(5);
      assert.equal(fresh.unread, 10);
      peer.drain();
      const before = netstat(stack).map((r) => JSON.stringify(r)).join('\n');
      let oldCallbacks = 0;
      // every call on the old handle
      tcp_recved(oldHandle, 4000);
      assert.equal(tcp_write(oldHandle, patternBytes(100), 100, TCP_WRITE_FLAG_COPY), ERR_CLSD);
      assert.equal(tcp_output(oldHandle), ERR_CLSD);
      assert.equal(tcp_shutdown(oldHandle, false, true), ERR_CLSD);
      assert.equal(tcp_close(oldHandle), ERR_CLSD);
      assert.equal(tcp_keepalive_set(oldHandle, 1000, 1000, 1), ERR_CLSD);
      assert.equal(tcp_set_recv_wnd(oldHandle, 100), ERR_CLSD);
      assert.equal(tcp_bind(oldHandle, 0, 1234), ERR_CLSD);
      assert.equal(tcp_connect(oldHandle, '10.0.0.2', 1, null), ERR_CLSD);
      assert.equal(tcp_sndbuf(oldHandle), 0);
      assert.equal(tcp_sndqueuelen(oldHandle), 0);
      assert.equal(tcp_state(oldHandle), CLOSED);
      assert.equal(tcp_state_name(oldHandle), 'CLOSED');
      assert.equal(tcp_remote_port(oldHandle), 0);
      assert.equal(tcp_is_alive(oldHandle), false);
      tcp_arg(oldHandle, 'stale');
      tcp_recv(oldHandle, () => { oldCallbacks++; return ERR_OK; });
      tcp_sent(oldHandle, () => { oldCallbacks++; return ERR_OK; });
      tcp_err(oldHandle, () => { oldCallbacks++; });
      tcp_poll(oldHandle, () => { oldCallbacks++; return ERR_OK; }, 1);
      tcp_nagle_disable(oldHandle);
      ip_set_option(oldHandle, SOF_KEEPALIVE);
      tcp_backlog_delayed(oldHandle);
      tcp_abort(oldHandle);
      // the new connection is unaffected: same netstat row (Recv-Q still 10: the stale tcp_recved did not reach it)
      assert.equal(netstat(stack).map((r) => JSON.stringify(r)).join('\n'), before);
      assert.equal(netstat(stack).find((r) => r.remote.endsWith(':40002'))!.recvQ, 10);
      assert.equal(tcp_state_name(fresh.pcb), 'ESTABLISHED');
      assert.equal(tcp_nagle_disabled(fresh.pcb), false);
      peer.expectNone(100, 'nothing sent on behalf of the stale handle');
      assert.equal(fresh.text(), 'fresh data');
      fresh.read();
      peer.drain();
      assert.equal(fresh.write('reply'), ERR_OK);
      peer.expect({ flags: 'P.', seq: peer.s(0), ack: peer.p(10), data: 'reply' }, 10);
      peer.send({ flags: '.', seq: peer.p(10), ack: peer.s(5) });
      f.net.run(1000);
      assert.equal(oldCallbacks, 0, 'no callback registered through the stale handle ever runs');
      assert.equal(old.err, ERR_RST, 'the old error callback ran once only');
      assert.equal(fresh.err, null);
      finish(f, [lis], [fresh]);
    });

    it('handles are dead after tcp_abort and after tcp_close completes; a new pcb is independent', () => {
      const f = setup({ config: { MEMP_NUM_TCP_PCB: 1 } });
      const { peer, stack } = f;
      const lis = listen(stack, 80);
      peer.port = 40001;
      peer.handshake({ isn: PISN });
      const a = lis.apps[0];
      tcp_abort(a.pcb);
      peer.expect({ flags: 'R.' }, 10);
      assert.equal(a.err, ERR_ABRT, 'tcp_err(ERR_ABRT) after tcp_abort');
      assert.equal(tcp_close(a.pcb), ERR_CLSD);
      peer.port = 40002;
      peer.handshake({ isn: 5 });
      const b = lis.apps[1];
      assert.equal(tcp_close(b.pcb), ERR_OK);
      peer.expect({ flags: 'F.' }, 10);
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(1) });
      peer.expect({ flags: '.' }, 10);
      f.net.run(2100); // TIME_WAIT over: the entry is free
      assert.equal(pcbPoolUsed(stack), 0);
      const c = tcp_new(stack) as TcpPcb;
      assert.ok(c !== null);
      assert.equal(tcp_bind(c, 0, 7777), ERR_OK);
      for (const old of [a.pcb, b.pcb]) {
        assert.equal(tcp_write(old, patternBytes(3), 3, TCP_WRITE_FLAG_COPY), ERR_CLSD);
        assert.equal(tcp_close(old), ERR_CLSD);
        tcp_recved(old, 100);
        tcp_abort(old);
      }
      assert.equal(tcp_local_port(c), 7777);
      assert.equal(tcp_state_name(c), 'CLOSED');
      assert.equal(tcp_close(c), ERR_OK);
      peer.expectNone(50);
      finish(f, [lis]);
    });
  });

  describe('tcp_listen', () => {
    it('returns a new handle; the old one is dead; the pcb pool entry is released', () => {
      const f = setup();
      const pcb = tcp_new(f.stack) as TcpPcb;
      assert.equal(pcbPoolUsed(f.stack), 1);
      assert.equal(tcp_bind(pcb, 0, 80), ERR_OK);
      const l = tcp_listen(pcb) as TcpPcb;
      assert.ok(l !== null && l !== pcb);
      assert.equal(tcp_state(l), LISTEN);
      assert.equal(tcp_state(pcb), CLOSED);
      assert.equal(tcp_is_alive(pcb), false);
      assert.equal(tcp_bind(pcb, 0, 81), ERR_CLSD);
      assert.equal(tcp_close(pcb), ERR_CLSD);
      assert.equal(tcp_local_port(l), 80);
      assert.equal(pcbPoolUsed(f.stack), 0, 'a listener holds no full pcb');
      finish(f, [l]);
    });

    it('fails (null) when the port already has a listener; the pcb passed stays usable', () => {
      const f = setup();
      const a = tcp_new(f.stack) as TcpPcb;
      const b = tcp_new(f.stack) as TcpPcb;
      ip_set_option(a, SOF_REUSEADDR);
      ip_set_option(b, SOF_REUSEADDR);
      assert.equal(tcp_bind(a, 0, 81), ERR_OK);
      assert.equal(tcp_bind(b, 0, 81), ERR_OK);
      const la = tcp_listen(a) as TcpPcb;
      assert.ok(la !== null);
      assert.equal(tcp_listen(b), null);
      assert.equal(tcp_is_alive(b), true);
      assert.equal(tcp_close(b), ERR_OK);
      finish(f, [la]);
    });

    it('backlog 0 means 1: a second SYN is dropped until the first connection is accepted (TCP_SYN_EVICT off)', () => {
      const f = setup({ config: { TCP_SYN_EVICT: false } });
      const { peer, stack } = f;
      const pcb = tcp_new(stack) as TcpPcb;
      assert.equal(tcp_bind(pcb, 0, 80), ERR_OK);
      const l = tcp_listen_with_backlog(pcb, 0) as TcpPcb;
      const apps: App[] = [];
      tcp_accept(l, (_a, np) => { apps.push(new App(stack, np as TcpPcb)); return ERR_OK; });
      peer.send({ flags: 'S', seq: 100, srcPort: 40001, mss: 1460 });
      const sa1 = peer.expect({ flags: 'S.', dstPort: 40001 }, 10);
      peer.send({ flags: 'S', seq: 200, srcPort: 40002, mss: 1460 });
      peer.expectNone(100, 'backlog full: the SYN is dropped silently (no RST)');
      peer.send({ flags: '.', seq: 101, ack: sq(sa1.seq, 1), srcPort: 40001 });
      f.net.run(ARRIVE);
      assert.equal(apps.length, 1);
      peer.send({ flags: 'S', seq: 200, srcPort: 40002, mss: 1460 });
      peer.expect({ flags: 'S.', ack: 201, dstPort: 40002 }, 10, 'retransmitted SYN now answered');
      finish(f, [l], apps);
    });

    it('backlog n: at most n connections in the handshake; extra SYNs are dropped (TCP_SYN_EVICT off)', () => {
      const f = setup({ config: { TCP_SYN_EVICT: false } });
      const { peer, stack } = f;
      const lis = listen(stack, 80, { backlog: 2 });
      for (const port of [40001, 40002, 40003]) peer.send({ flags: 'S', seq: port, srcPort: port, mss: 1460 });
      f.net.run(10);
      const answered = peer.drain().filter((s) => s.flags === 'S.').map((s) => s.dstPort);
      assert.deepEqual(answered, [40001, 40002]);
      assert.equal(stateOf(stack, 80, 40003), undefined);
      finish(f, [lis]);
    });

    it('tcp_backlog_delayed keeps an accepted connection counted; tcp_backlog_accepted releases it', () => {
      const f = setup();
      const { peer, stack } = f;
      const lis = listen(stack, 80, { backlog: 1, onAccept: (app) => { tcp_backlog_delayed(app.pcb); } });
      peer.port = 40001;
      peer.handshake({ isn: 100 });
      assert.equal(lis.apps.length, 1);
      peer.send({ flags: 'S', seq: 900, srcPort: 40002, mss: 1460 });
      peer.expectNone(100, 'the delayed connection still fills the backlog');
      tcp_backlog_accepted(lis.apps[0].pcb);
      peer.send({ flags: 'S', seq: 900, srcPort: 40002, mss: 1460 });
      peer.expect({ flags: 'S.', ack: 901, dstPort: 40002 }, 10);
      finish(f, [lis], lis.apps);
    });

    it('an accept callback returning an error refuses the connection with a RST', () => {
      const f = setup();
      const lis = listen(f.stack, 80);
      lis.acceptResult = ERR_MEM;
      f.peer.send({ flags: 'S', seq: PISN, mss: 1460 });
      const sa = f.peer.expect({ flags: 'S.' }, 10);
      f.peer.send({ flags: '.', seq: sq(PISN, 1), ack: sq(sa.seq, 1) });
      const r = f.peer.expect({}, 10);
      assert.ok(r.flags.includes('R'), 'RST, got ' + r.flags);
      assert.equal(r.seq, sq(sa.seq, 1));
      assert.equal(stateOf(f.stack, 80, f.peer.port), undefined);
      finish(f, [lis]);
    });
  });

  describe('callback contracts', () => {
    it('a recv callback returning an error keeps the data; it is offered again later, delivered once', () => {
      let offers = 0;
      const offerTimes: number[] = [];
      const f = established({
        isn: PISN,
        app: {
          onRecv: (app, p) => {
            if (p === null) return undefined;
            offers++;
            offerTimes.push(app.stack.core.now);
            return offers <= 2 ? ERR_MEM : undefined; // refuse twice (keeping the pbuf), then take it
          },
        },
      });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'refused at first' });
      f.net.runUntil(() => app.received.length > 0, 3000);
      assert.equal(app.text(), 'refused at first');
      assert.equal(offers, 3);
      assert.ok(offerTimes[1] - offerTimes[0] <= 500 && offerTimes[2] - offerTimes[1] <= 500,
        'offered again within a coarse tick: ' + offerTimes.join(','));
      // more data later is delivered normally, after the refused data, nothing twice
      peer.drain();
      peer.send({ flags: 'P.', seq: peer.p(16), ack: peer.s(0), data: ' then more' });
      f.net.run(300);
      assert.equal(app.text(), 'refused at first then more');
      finish(f, [f.lis], [app]);
    });

    it('data arriving while earlier data is refused is not lost (delivered once, in order)', () => {
      let refuse = true;
      const f = established({
        isn: PISN,
        app: { onRecv: (_app, p) => (p !== null && refuse ? ERR_MEM : undefined) },
      });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'AAAA' });
      f.net.run(10);
      peer.send({ flags: 'P.', seq: peer.p(4), ack: peer.s(0), data: 'BBBB' });
      f.net.run(10);
      refuse = false;
      // the peer retransmits whatever was not acknowledged
      for (let i = 0; i < 20 && app.received.length < 8; i++) {
        const acks = peer.drain().filter((s) => s.bits & 0x10);
        const acked = acks.length ? acks[acks.length - 1].ack : peer.p(0);
        const off = (acked - peer.p(0)) | 0;
        if (off < 8) peer.send({ flags: 'P.', seq: acked, ack: peer.s(0), data: 'AAAABBBB'.slice(off) });
        f.net.run(600);
      }
      assert.equal(app.text(), 'AAAABBBB');
      finish(f, [f.lis], [app]);
    });

    it('a recv callback that calls tcp_abort returns ERR_ABRT: RST sent, tcp_err(ERR_ABRT), no more callbacks', () => {
      let calls = 0;
      const f = established({
        isn: PISN,
        app: { onRecv: (app, p) => { calls++; if (p !== null) pbuf_free(p); tcp_abort(app.pcb); return ERR_ABRT; } },
      });
      const { peer, app } = f;
      peer.send({ flags: 'FP.', seq: peer.p(0), ack: peer.s(0), data: 'bye' });
      const r = peer.expect({}, 10);
      assert.ok(r.flags.includes('R'), 'RST, got ' + r.flags);
      assert.equal(r.seq, peer.s(0));
      assert.equal(calls, 1, 'the FIN is not delivered to an aborted connection');
      assert.equal(app.err, ERR_ABRT);
      assert.equal(tcp_is_alive(app.pcb), false);
      peer.expectNone(100);
      finish(f, [f.lis]);
    });

    it('an accept callback that aborts the new pcb returns ERR_ABRT: RST, listener unaffected', () => {
      const f = setup();
      const lis = listen(f.stack, 80, { onAccept: (app) => { tcp_abort(app.pcb); return ERR_ABRT; } });
      f.peer.handshake({ isn: PISN });
      const r = f.peer.expect({}, 10);
      assert.ok(r.flags.includes('R'));
      assert.equal(lis.apps[0].err, ERR_ABRT);
      assert.equal(stateOf(f.stack, 80), 'LISTEN');
      finish(f, [lis]);
    });

    it('a sent callback that calls tcp_abort returns ERR_ABRT', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      tcp_sent(app.pcb, (_a, pcb) => { tcp_abort(pcb); return ERR_ABRT; });
      assert.equal(app.write('x'), ERR_OK);
      const d = peer.expect({ flags: 'P.', len: 1 }, 10);
      peer.send({ flags: '.', seq: peer.p(0), ack: sq(d.seq, 1) });
      const r = peer.expect({}, 10);
      assert.ok(r.flags.includes('R'));
      assert.equal(app.err, ERR_ABRT);
      finish(f, [f.lis]);
    });

    it('tcp_close with unread received data sends RST instead of FIN (RFC 9293 §3.10.4, RFC 2525)', () => {
      const f = established({ isn: PISN, app: { autoRecved: false } });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'unread' });
      f.net.run(300);
      peer.drain();
      assert.equal(app.unread, 6);
      assert.equal(tcp_close(app.pcb), ERR_OK);
      const r = peer.expect({}, 10);
      assert.ok(r.flags.includes('R'), 'RST, got ' + r.flags);
      assert.equal(r.seq, peer.s(0));
      assert.equal(stateOf(f.stack, 80, peer.port), undefined);
      finish(f, [f.lis]);
    });

    it('tcp_close after the data was consumed (tcp_recved) sends a normal FIN', () => {
      const f = established({ isn: PISN, app: { autoRecved: false } });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'read' });
      f.net.run(300);
      peer.drain();
      app.read();
      assert.equal(tcp_close(app.pcb), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0), ack: peer.p(4) }, 10);
      peer.send({ flags: 'F.', seq: peer.p(4), ack: peer.s(1) });
      peer.expect({ flags: '.' }, 10);
      finish(f, [f.lis]);
    });

    it('tcp_sent reports acknowledged byte counts (partial ACKs included); tcp_sndbuf grows back', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      tcp_nagle_disable(app.pcb); // (whether Nagle holds the 80-octet tail is not the point here)
      assert.equal(tcp_sndbuf(app.pcb), 8192);
      assert.equal(app.write(patternBytes(3000)), ERR_OK);
      assert.equal(tcp_sndbuf(app.pcb), 8192 - 3000);
      peer.expect({ len: 1460, seq: peer.s(0) }, 10);
      peer.expect({ len: 1460, seq: peer.s(1460) }, 10);
      peer.expect({ len: 80, seq: peer.s(2920) }, 10);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1000) });
      f.net.run(ARRIVE);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(2920) });
      f.net.run(ARRIVE);
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(3000) });
      f.net.run(ARRIVE);
      assert.deepEqual(app.sentCalls, [1000, 1920, 80]);
      assert.equal(tcp_sndbuf(app.pcb), 8192);
      assert.equal(tcp_sndqueuelen(app.pcb), 0);
      finish(f, [f.lis], [app]);
    });

    it('tcp_poll is called every `interval` coarse ticks (500 ms)', () => {
      const f = established({ isn: PISN });
      const { app } = f;
      const calls: number[] = [];
      const t0 = f.net.now;
      tcp_poll(app.pcb, (_a, _p) => { calls.push(f.net.now); return ERR_OK; }, 2);
      f.net.run(5200);
      assert.ok(calls.length >= 5, 'calls: ' + calls.join(','));
      assert.ok(calls[0] - t0 > 500 && calls[0] - t0 <= 1000, 'first call after 2 ticks: ' + (calls[0] - t0));
      for (let i = 1; i < calls.length; i++) assert.equal(calls[i] - calls[i - 1], 1000, 'every 2 x 500 ms');
      const calls1: number[] = [];
      tcp_poll(app.pcb, () => { calls1.push(f.net.now); return ERR_OK; }, 1);
      f.net.run(2100);
      for (let i = 1; i < calls1.length; i++) assert.equal(calls1[i] - calls1[i - 1], 500);
      finish(f, [f.lis], [app]);
    });

    it('a write that got ERR_MEM is retried from tcp_poll and leaves at once', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      assert.equal(app.write(patternBytes(8192)), ERR_OK);
      assert.equal(tcp_sndbuf(app.pcb), 0);
      const extra = patternBytes(100, 8192);
      assert.equal(tcp_write(app.pcb, extra, 100, TCP_WRITE_FLAG_COPY), ERR_MEM);
      let pending = true;
      let retryAt = -1;
      tcp_poll(app.pcb, (_a, pcb) => {
        if (pending && tcp_write(pcb, extra, 100, TCP_WRITE_FLAG_COPY) === ERR_OK) { pending = false; retryAt = f.net.now; }
        return ERR_OK;
      }, 1);
      const segs = ackAll(peer, 50);
      assert.equal(segs.reduce((n, s) => n + s.len, 0), 8192);
      f.net.runUntil(() => !pending, 1000);
      assert.equal(pending, false, 'retried from tcp_poll');
      const s = peer.expect({ len: 100, seq: peer.s(8192) }, 10);
      assert.equal(s.time, retryAt, 'the retried data leaves in the poll instant');
      assert.deepEqual(Array.from(s.payload), Array.from(extra));
      finish(f, [f.lis], [app]);
    });
  });

  describe('send buffer and Nagle', () => {
    it('tcp_sndbuf / tcp_sndqueuelen account for queued and unacknowledged data', () => {
      const f = established({ isn: PISN, win: 1000 });
      const { peer, app } = f;
      assert.equal(tcp_sndbuf(app.pcb), 8192);
      assert.equal(tcp_sndqueuelen(app.pcb), 0);
      assert.equal(tcp_write(app.pcb, patternBytes(3000), 3000, TCP_WRITE_FLAG_COPY), ERR_OK);
      assert.equal(tcp_sndbuf(app.pcb), 5192);
      assert.equal(tcp_sndqueuelen(app.pcb), 3, '1460 + 1460 + 80');
      assert.equal(tcp_write(app.pcb, patternBytes(6000), 6000, TCP_WRITE_FLAG_COPY), ERR_MEM, 'more than tcp_sndbuf');
      assert.equal(tcp_sndbuf(app.pcb), 5192, 'a failed write changes nothing');
      assert.equal(tcp_sndqueuelen(app.pcb), 3);
      tcp_output(app.pcb);
      ackAll(peer, 2000, 65535);
      assert.equal(tcp_sndbuf(app.pcb), 8192);
      assert.equal(tcp_sndqueuelen(app.pcb), 0);
      finish(f, [f.lis], [app]);
    });

    it('TCP_SND_QUEUELEN limits queued segments: the next write is ERR_MEM', () => {
      const f = established({ isn: PISN, win: 0, config: { TCP_SND_QUEUELEN: 4 } });
      const { app } = f;
      const d = patternBytes(10);
      // without COPY each write is its own segment (no coalescing)
      for (let i = 0; i < 4; i++) assert.equal(tcp_write(app.pcb, d, 10, 0), ERR_OK, 'write ' + i);
      assert.equal(tcp_sndqueuelen(app.pcb), 4);
      assert.equal(tcp_write(app.pcb, d, 10, 0), ERR_MEM);
      finish(f, [f.lis], [app]);
    });

    it('Nagle is on by default: a small segment waits while data is unacknowledged', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      assert.equal(tcp_nagle_disabled(app.pcb), false);
      assert.equal(app.write('a'), ERR_OK);
      peer.expect({ flags: 'P.', seq: peer.s(0), data: 'a' }, 10);
      assert.equal(app.write('b'), ERR_OK);
      assert.equal(app.write('c'), ERR_OK);
      peer.expectNone(150, 'held by Nagle');
      peer.send({ flags: '.', seq: peer.p(0), ack: peer.s(1) });
      const t = f.net.now + ARRIVE;
      peer.expect({ flags: 'P.', seq: peer.s(1), data: 'bc', time: t }, 10, 'sent when the ACK arrives, coalesced');
      finish(f, [f.lis], [app]);
    });

    it('tcp_nagle_disable: small segments leave at once; tcp_nagle_enable restores it', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      tcp_nagle_disable(app.pcb);
      assert.equal(tcp_nagle_disabled(app.pcb), true);
      app.write('a');
      app.write('b');
      peer.expect({ seq: peer.s(0), data: 'a' }, 10);
      peer.expect({ seq: peer.s(1), data: 'b' }, 10);
      tcp_nagle_enable(app.pcb);
      assert.equal(tcp_nagle_disabled(app.pcb), false);
      app.write('c');
      peer.expectNone(100);
      finish(f, [f.lis], [app]);
    });

    it('TCP_WRITE_FLAG_MORE leaves PSH off; a write without COPY sends the caller\'s bytes', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      tcp_nagle_disable(app.pcb);
      const keep = patternBytes(20, 3);
      assert.equal(tcp_write(app.pcb, keep, 20, TCP_WRITE_FLAG_MORE), ERR_OK);
      tcp_output(app.pcb);
      peer.expect({ flags: '.', seq: peer.s(0), data: keep }, 10);
      assert.equal(tcp_write(app.pcb, keep, 5, 0, 15), ERR_OK);
      tcp_output(app.pcb);
      peer.expect({ flags: 'P.', seq: peer.s(20), data: keep.slice(15, 20) }, 10);
      finish(f, [f.lis], [app]);
    });
  });

  describe('no 200 ms stalls', () => {
    it('data written inside a recv callback leaves in the same instant, with the ACK piggybacked', () => {
      const f = established({
        isn: PISN,
        app: {
          onRecv: (app, p) => {
            if (p === null) return undefined;
            const n = app.received.push(p);
            pbuf_free(p);
            tcp_recved(app.pcb, n);
            tcp_write(app.pcb, patternBytes(n), n, TCP_WRITE_FLAG_COPY); // echo, no tcp_output
            return ERR_OK;
          },
        },
      });
      const { peer } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'ping!' });
      const t = f.net.now + ARRIVE;
      peer.expect({ flags: 'P.', seq: peer.s(0), ack: peer.p(5), len: 5, time: t }, 10, 'echo in the same instant');
      peer.expectNone(300, 'no separate ACK needed');
      finish(f, [f.lis], [f.app]);
    });

    it('the window update after tcp_recved leaves at once when the window reopens by >= min(WND/2, MSS)', () => {
      const f = established({ isn: PISN, app: { autoRecved: false } });
      const { peer, app } = f;
      // fill the 8192-octet window
      let off = 0;
      while (off < 8192) {
        const n = Math.min(1460, 8192 - off);
        peer.send({ flags: '.', seq: peer.p(off), ack: peer.s(0), data: patternBytes(n, off) });
        off += n;
      }
      f.net.run(300);
      const acks = peer.drain();
      assert.equal(acks[acks.length - 1].ack, peer.p(8192));
      assert.equal(acks[acks.length - 1].win, 0, 'window closed');
      assert.equal(app.unread, 8192);
      app.read(1000);   // below min(4096, 1460): not worth announcing (RFC 1122 §4.2.3.3)
      peer.expectNone(300, 'no update for 1000 octets');
      const t = f.net.now;
      app.read(460);    // 1460 in all: announce now
      peer.expect({ flags: '.', seq: peer.s(0), ack: peer.p(8192), win: 1460, time: t }, 10, 'window update at once');
      app.read();
      peer.expect({ flags: '.', ack: peer.p(8192), win: 8192, time: f.net.now }, 10);
      finish(f, [f.lis], [app]);
    });

    it('the small tail of a write is not held behind the receiver\'s delayed ACK (two stacks, Nagle on)', () => {
      // classic Nagle (hold any small segment while data is unacknowledged) meets delayed ACK (the
      // receiver waits 200 ms for a second segment that Nagle is holding): every write that does not
      // end on an MSS boundary stalls 200 ms. Minshall's variant (hold a small segment only while a
      // previous SMALL segment is unacknowledged), as Linux does, keeps Nagle without the stall.
      // TCP_QUICKACKS 0: the receiver is past its quick-ACK start, as in any long-lived connection.
      const net = new MockNet({ seed: 5 });
      const a = net.addStack({ ip: '10.0.0.1/24', config: FAST });
      const b = net.addStack({ ip: '10.0.0.2/24', config: { ...FAST, TCP_QUICKACKS: 0 } });
      const lis = listen(b, 80);
      const client = connect(a, '10.0.0.2', 80);
      net.runUntil(() => client.connected && lis.apps.length === 1, 100);
      const server = lis.apps[0];
      const t0 = net.now;
      assert.equal(client.write(patternBytes(2000)), ERR_OK, 'a 2000-octet request: 1460 + 540');
      net.runUntil(() => server.received.length === 2000, 1000);
      assert.equal(server.received.length, 2000);
      assert.ok(net.now - t0 < 200, 'the whole request arrived after ' + (net.now - t0) + ' ms');
      tcp_abort(client.pcb);
      tcp_close(lis.pcb);
      net.run(2100);
      assertPoolsFull(a, b);
    });
  });

  describe('pcb pool', () => {
    it('when the pool is full, the oldest TIME_WAIT is recycled, then the next, then LAST_ACK', () => {
      const f = setup({ config: { MEMP_NUM_TCP_PCB: 3 } });
      const { peer, stack } = f;
      const lis = listen(stack, 80);
      // c1 and c2: we close first -> TIME_WAIT (c1 older); c3: LAST_ACK with the last ACK never coming
      const isns = [1000, 2000, 3000];
      for (let i = 0; i < 2; i++) {
        peer.port = 40001 + i;
        peer.handshake({ isn: isns[i] });
        const app = lis.apps[i];
        tcp_close(app.pcb);
        peer.expect({ flags: 'F.' }, 10);
        peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(1) });
        peer.expect({ flags: '.' }, 10);
        f.net.run(100);
      }
      peer.port = 40003;
      peer.handshake({ isn: isns[2] });
      const c3 = lis.apps[2];
      peer.send({ flags: 'F.', seq: peer.p(0), ack: peer.s(0) });
      peer.expect({ flags: '.' }, 10);
      tcp_close(c3.pcb);
      peer.expect({ flags: 'F.' }, 10);
      const c3Isn = peer.stackIsn as number;
      assert.deepEqual([stateOf(stack, 80, 40001), stateOf(stack, 80, 40002), stateOf(stack, 80, 40003)],
        ['TIME_WAIT', 'TIME_WAIT', 'LAST_ACK']);
      assert.equal(pcbPoolUsed(stack), 3);
      // a new connection arrives: the oldest TIME_WAIT (c1) makes room
      peer.port = 40004;
      peer.handshake({ isn: 4000 });
      assert.equal(lis.apps.length, 4);
      assert.equal(stateOf(stack, 80, 40001), undefined, 'c1 recycled');
      assert.equal(stateOf(stack, 80, 40002), 'TIME_WAIT');
      // tcp_new: c2 goes
      const n1 = tcp_new(stack);
      assert.ok(n1 !== null);
      assert.equal(stateOf(stack, 80, 40002), undefined, 'c2 recycled');
      assert.equal(stateOf(stack, 80, 40003), 'LAST_ACK');
      // tcp_new: no TIME_WAIT left: LAST_ACK is next (aborted with a RST)
      peer.drain();
      const n2 = tcp_new(stack);
      assert.ok(n2 !== null);
      assert.equal(stateOf(stack, 80, 40003), undefined, 'c3 recycled');
      const r = peer.expect({ dstPort: 40003 }, 10);
      assert.ok(r.flags.includes('R'), 'RST to the LAST_ACK peer, got ' + r.flags);
      assert.equal(r.seq, sq(c3Isn, 2));
      // nothing left to recycle: ESTABLISHED and CLOSED pcbs are never taken
      assert.equal(tcp_new(stack), null);
      assert.equal(stateOf(stack, 80, 40004), 'ESTABLISHED');
      tcp_close(n1 as TcpPcb);
      tcp_close(n2 as TcpPcb);
      finish(f, [lis], lis.apps);
    });
  });

  describe('initial sequence numbers (RFC 6528) and ports', () => {
    it('ISNs differ per 4-tuple and are not sequential', () => {
      const f = setup();
      const { peer, stack } = f;
      const apps: App[] = [];
      for (let i = 0; i < 6; i++) apps.push(connect(stack, '10.0.0.2', 5000 + i));
      f.net.run(2);
      const syns = peer.drain().filter((s) => s.flags === 'S');
      assert.equal(syns.length, 6);
      const isns = syns.map((s) => s.seq);
      assert.equal(new Set(isns).size, 6, 'distinct: ' + isns.join(','));
      const deltas = isns.slice(1).map((v, i) => (v - isns[i]) | 0);
      assert.ok(new Set(deltas).size > 1, 'not a constant step: ' + deltas.join(','));
      assert.ok(deltas.filter((d) => Math.abs(d) < 65536).length <= 1, 'not near-sequential: ' + deltas.join(','));
      for (const a of apps) tcp_abort(a.pcb);
      // the passive side too: SYN-ACKs to different source ports
      const lis = listen(stack, 80);
      for (const port of [41000, 41001, 41002]) peer.send({ flags: 'S', seq: 1, srcPort: port, mss: 1460 });
      f.net.run(3);
      const sa = peer.drain().filter((s) => s.flags === 'S.').map((s) => s.seq);
      assert.equal(new Set(sa).size, 3);
      finish(f, [lis]);
    });

    it('the same 4-tuple gets a different ISN with another secret (HAL random source)', () => {
      const isnWith = (seed: number): number => {
        const net = new MockNet({ seed });
        const stack = net.addStack({ ip: '10.0.0.1/24', config: FAST });
        const peer = new TcpPeer(net, stack);
        const pcb = tcp_new(stack) as TcpPcb;
        tcp_bind(pcb, 0, 50000);
        tcp_connect(pcb, '10.0.0.2', 5000, null);
        const s = peer.expect({ flags: 'S' }, 10);
        tcp_abort(pcb);
        net.run(10);
        assertPoolsFull(stack);
        return s.seq;
      };
      const a = isnWith(1);
      const b = isnWith(2);
      assert.notEqual(a, b);
      assert.equal(isnWith(1), a, 'deterministic for a given seed');
    });

    it('ephemeral ports: tcp_bind(port 0) and tcp_connect pick distinct ports in the configured range', () => {
      const f = setup({ config: { TCP_LOCAL_PORT_RANGE_START: 50000, TCP_LOCAL_PORT_RANGE_END: 50002 } });
      const { stack } = f;
      const pcbs: TcpPcb[] = [];
      for (let i = 0; i < 2; i++) {
        const p = tcp_new(stack) as TcpPcb;
        assert.equal(tcp_bind(p, 0, 0), ERR_OK);
        pcbs.push(p);
      }
      const app = connect(stack, '10.0.0.2', 5000);
      f.peer.expect({ flags: 'S' }, 10);
      const ports = [...pcbs.map((p) => tcp_local_port(p)), tcp_local_port(app.pcb)];
      for (const p of ports) assert.ok(p >= 50000 && p <= 50002, 'in range: ' + p);
      assert.equal(new Set(ports).size, 3, 'distinct: ' + ports.join(','));
      const last = tcp_new(stack) as TcpPcb;
      assert.equal(tcp_bind(last, 0, 0), ERR_USE, 'range exhausted');
      assert.equal(tcp_remote_port(app.pcb), 5000);
      assert.equal(tcp_remote_ip(app.pcb), ip4FromString('10.0.0.2'));
      for (const p of [...pcbs, last]) tcp_close(p);
      finish(f, [], [app]);
    });

    it('default ephemeral ports lie in 49152..65535 (RFC 6335)', () => {
      const f = setup();
      const p = tcp_new(f.stack) as TcpPcb;
      assert.equal(tcp_bind(p, 0, 0), ERR_OK);
      const port = tcp_local_port(p);
      assert.ok(port >= 49152 && port <= 65535, String(port));
      tcp_close(p);
      finish(f);
    });
  });

  describe('half-close API', () => {
    it('tcp_shutdown(tx): FIN sent, tcp_write -> ERR_CONN, data still received', () => {
      const f = established({ isn: PISN });
      const { peer, app } = f;
      assert.equal(tcp_shutdown(app.pcb, false, true), ERR_OK);
      peer.expect({ flags: 'F.', seq: peer.s(0), ack: peer.p(0) }, 10);
      assert.equal(tcp_write(app.pcb, patternBytes(3), 3, TCP_WRITE_FLAG_COPY), ERR_CONN);
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(1), data: 'still talking' });
      f.net.run(300);
      assert.equal(app.text(), 'still talking');
      assert.equal(tcp_state_name(app.pcb), 'FIN_WAIT_2');
      finish(f, [f.lis], [app]);
    });

    it('activeEstablished fixture: the stack as client can exchange data', () => {
      const f = activeEstablished({ isn: PISN });
      const { peer, app } = f;
      peer.send({ flags: 'P.', seq: peer.p(0), ack: peer.s(0), data: 'hello client' });
      f.net.run(5);
      assert.equal(app.text(), 'hello client');
      peer.drain();
      assert.equal(app.write('hi server'), ERR_OK);
      peer.expect({ flags: 'P.', seq: peer.s(0), ack: peer.p(12), data: 'hi server' }, 10);
      finish(f, [], [app]);
    });
  });
});
