/**
 * The TCP layer: pcb pools and tables, segment arrival (RFC 9293 §3.10.7, step by step), output and
 * segmentation, timers (RFC 6298 retransmission, persist, delayed ACK, keepalive, TIME_WAIT) and
 * congestion control (RFC 5681, NewReno RFC 6582).
 *
 * Nothing here allocates per segment: pcbs, segment descriptors and pbufs come from fixed pools,
 * the parsed header lives in one TcpSegInfo reused for every segment, and callbacks are the ones the
 * application registered. The public lwIP-style API lives in src/api/tcp_api.ts and calls the
 * methods below through a TcpPcb handle.
 */
import { pbuf_free } from '../core/pbuf.js';
import { ERR_OK, ERR_MEM, ERR_CONN } from '../core/err.js';
import type { Err } from '../core/err.js';
import type { IpProtocolHandler } from '../ipv4/ip4.js';
import { TCP_FIN } from '../wire/tcp.js';
import { Tcb, TcpListen, TcpPcb, TCB } from './tcb.js';
import type { TcpOps } from './tcb.js';
import {
  CLOSED, LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK,
  TIME_WAIT, TF_FIN_QUEUED, TF_RXCLOSED, TF_CLOSED_BY_APP, TF_TXCLOSED, CAUSE_API,
  tcpStateName,
} from './constants.js';
import { TcpTraceInfo, detachApp } from './table.js';
import { TcpInput } from './input.js';

export { TcpTraceInfo } from './table.js';


export class TcpLayer extends TcpInput implements IpProtocolHandler, TcpOps {
  newHandle(): TcpPcb {
    return new TcpPcb(this);
  }

  /** tcp_close. Returns ERR_MEM when the FIN cannot be queued now (try again later, as in lwIP). */
  close(pcb: Tcb): Err {
    const pv = pcb.v;
    switch (pv[TCB.state]) {
      case CLOSED:
      case SYN_SENT:
        this.freePcb(pcb, 0, CAUSE_API);
        return ERR_OK;
      case SYN_RCVD:
      case ESTABLISHED:
      case CLOSE_WAIT: {
        if (pcb.refused !== null || pv[TCB.rcvWnd] !== pv[TCB.rcvWndMax]) {
          // RFC 9293 §3.10.4, RFC 2525 §2.17: closing with unread data resets the connection
          this.abortPcb(pcb, 0, true);
          return ERR_OK;
        }
        if ((pv[TCB.flags] & TF_FIN_QUEUED) === 0) {
          if (this.enqueueFlags(pcb, TCP_FIN) !== ERR_OK) return ERR_MEM;
          this.setState(pcb, pv[TCB.state] === CLOSE_WAIT ? LAST_ACK : FIN_WAIT_1, CAUSE_API);
        }
        break;
      }
      default:
        // FIN_WAIT_1/2, CLOSING, LAST_ACK, TIME_WAIT: our FIN is already on its way
        break;
    }
    this.orphan(pcb);
    this.output(pcb);
    return ERR_OK;
  }

  /** The application lets go of a closing connection: the stack finishes it without callbacks. */
  protected orphan(pcb: Tcb): void {
    pcb.v[TCB.flags] |= TF_RXCLOSED | TF_TXCLOSED | TF_CLOSED_BY_APP;
    detachApp(pcb);
    if (pcb.v[TCB.state] === FIN_WAIT_2) this.armFinWait2(pcb);
  }

  shutdown(pcb: Tcb, rx: boolean, tx: boolean): Err {
    const pv = pcb.v;
    if (rx && tx) return this.close(pcb);
    if (rx) {
      pv[TCB.flags] |= TF_RXCLOSED;
      if (pcb.refused !== null) {
        const n = pcb.refused.totLen;
        pbuf_free(pcb.refused);
        pcb.refused = null;
        this.recved(pcb, n);
      }
    }
    if (tx) {
      switch (pv[TCB.state]) {
        case SYN_RCVD:
        case ESTABLISHED:
        case CLOSE_WAIT:
          if ((pv[TCB.flags] & TF_FIN_QUEUED) === 0) {
            if (this.enqueueFlags(pcb, TCP_FIN) !== ERR_OK) return ERR_MEM;
            this.setState(pcb, pv[TCB.state] === CLOSE_WAIT ? LAST_ACK : FIN_WAIT_1, CAUSE_API);
          }
          pv[TCB.flags] |= TF_TXCLOSED;
          this.output(pcb);
          break;
        case FIN_WAIT_1:
        case FIN_WAIT_2:
        case CLOSING:
        case LAST_ACK:
        case TIME_WAIT:
          pv[TCB.flags] |= TF_TXCLOSED;
          break;
        default:
          return ERR_CONN;
      }
    }
    return ERR_OK;
  }

  /** Every pcb's state (tests and tools). */
  forEachConn(fn: (pcb: Tcb) => void): void {
    for (let i = 0; i < this.nActive; i++) fn(this.active[i]);
  }

  forEachListener(fn: (l: TcpListen) => void): void {
    for (let i = 0; i < this.nListeners; i++) fn(this.listeners[i]);
  }
}
