/*
 * A machine class for Moddable's xsbug-log (tools/xsbug-log; loaded through XSBUG_LOGMACHINE): the
 * SDK's own text-mode debugger machine, which prints trace and continues past breaks of the
 * non-interactive simulator, plus one line per instrument sample the XS machine sends:
 *
 *   #instruments Chunk used=12345 bytes;Chunk available=32768 bytes;Slot used=...;Stack used=...;...
 *
 * XS sends its instruments (modInstrumentation) about once a second to the debugger; "used" values
 * are the peaks since the previous sample for the stack, the current figures for chunks and slots.
 * test/moddable/run.sh keeps the largest of each.
 */
'use strict';
const path = require('node:path');
const base = require(path.join(process.env.MODDABLE, 'tools', 'xsbug-log', 'xsbug-debugmachine.js'));

class LogMachine extends base.LogMachine {
  onInstrumentValues(values) {
    super.onInstrumentValues(values);
    if (this.title === 'mcsim') return;
    const parts = this.instruments.map((i) => `${i.name}=${i.value}${i.unit}`);
    console.log('#instruments ' + parts.join(';'));
  }
}

exports.LogMachine = LogMachine;
