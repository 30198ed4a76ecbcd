/**
 * lwIP-style error codes (same names and values as lwIP's err.h), returned by every API call.
 * Expected conditions are never thrown: callers compare the returned code with ERR_OK.
 */
export type Err = number;

export const ERR_OK = 0;          // no error, everything fine
export const ERR_MEM = -1;        // out of memory: a pool is empty
export const ERR_BUF = -2;        // buffer error: no room in the send buffer / queue
export const ERR_TIMEOUT = -3;    // timeout (retransmissions exhausted)
export const ERR_RTE = -4;        // routing problem: no route to the destination
export const ERR_INPROGRESS = -5; // operation in progress
export const ERR_VAL = -6;        // illegal value
export const ERR_WOULDBLOCK = -7; // operation would block
export const ERR_USE = -8;        // address in use
export const ERR_ALREADY = -9;    // already connecting
export const ERR_ISCONN = -10;    // connection already established
export const ERR_CONN = -11;      // not connected
export const ERR_IF = -12;        // low-level netif error
export const ERR_ABRT = -13;      // connection aborted
export const ERR_RST = -14;       // connection reset by the peer
export const ERR_CLSD = -15;      // connection closed (or the handle refers to a freed pcb)
export const ERR_ARG = -16;       // illegal argument

const NAMES: { readonly [code: number]: string } = Object.freeze({
  0: 'ERR_OK', [-1]: 'ERR_MEM', [-2]: 'ERR_BUF', [-3]: 'ERR_TIMEOUT', [-4]: 'ERR_RTE',
  [-5]: 'ERR_INPROGRESS', [-6]: 'ERR_VAL', [-7]: 'ERR_WOULDBLOCK', [-8]: 'ERR_USE',
  [-9]: 'ERR_ALREADY', [-10]: 'ERR_ISCONN', [-11]: 'ERR_CONN', [-12]: 'ERR_IF',
  [-13]: 'ERR_ABRT', [-14]: 'ERR_RST', [-15]: 'ERR_CLSD', [-16]: 'ERR_ARG',
});

/** The symbolic name of an error code, e.g. `ERR_RST`; for diagnostics, not for the hot path. */
export function lwip_strerr(err: Err): string {
  return NAMES[err] ?? 'ERR_UNKNOWN(' + err + ')';
}
