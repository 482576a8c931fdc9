import assert from "node:assert/strict";
import fc from "fast-check";
import {
  MTTY_FIFO_SIZE,
  Uart16550,
  UART_DLL,
  UART_DLM,
  UART_FCR,
  UART_IER,
  UART_IIR,
  UART_LCR,
  UART_LSR,
  UART_MCR,
  UART_MSR,
  UART_RX,
  UART_SCR,
  UART_TX,
  type UartSnapshot,
} from "../../../lib/drivers/mtty/uart.ts";

/** A port whose interrupt events are counted in `irq.events`. */
function countedPort(): { port: Uart16550; irq: { events: number } } {
  const port = new Uart16550();
  const irq = { events: 0 };
  port.onInterrupt = () => irq.events++;
  return { port, irq };
}

/** FCR = 0x07 then 0x01: FIFO emptied and on (16 bytes), trigger level 1, as T10/T11 start. */
function enableFifo(port: Uart16550): void {
  port.write(UART_FCR, 0x07);
  port.write(UART_FCR, 0x01);
}

Deno.test("Uart16550.read() answers the fresh-port values of T9", () => {
  const port = new Uart16550();
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((reg) => port.read(reg)),
    [0x00, 0xc1, 0x00, 0x00, 0x60, 0xb3, 0x00],
  );
});

Deno.test("Uart16550 loops THR bytes back through RBR in order (T10)", () => {
  const port = new Uart16550();
  enableFifo(port);
  port.write(UART_TX, 0x41);
  port.write(UART_TX, 0x42);
  assert.equal(port.read(UART_LSR), 0x01);
  assert.equal(port.read(UART_RX), 0x41);
  assert.equal(port.read(UART_RX), 0x42);
  assert.equal(port.read(UART_LSR), 0x60);
});

Deno.test("Uart16550 drops the 17th byte and keeps LSR.OE until the next accepted THR write (T11)", () => {
  const port = new Uart16550();
  enableFifo(port);
  for (let byte = 0; byte <= 16; byte++) port.write(UART_TX, byte);
  assert.equal(port.read(UART_LSR), 0x03);
  const received = Array.from({ length: 16 }, () => port.read(UART_RX));
  assert.deepEqual(received, Array.from({ length: 16 }, (_, i) => i));
  assert.equal(port.read(UART_LSR), 0x62);
  port.write(UART_TX, 0x55);
  assert.equal(port.read(UART_LSR), 0x01);
});

Deno.test("Uart16550 holds a single byte when FCR clears the FIFO-enable bit (T12)", () => {
  const port = new Uart16550();
  port.write(UART_FCR, 0x00);
  port.write(UART_TX, 0x11);
  port.write(UART_TX, 0x22);
  assert.equal(port.read(UART_LSR), 0x03);
  assert.equal(port.read(UART_RX), 0x11);
  assert.equal(port.toSnapshot().maxFifoSize, 1);
});

Deno.test("Uart16550.read() of RBR on an empty FIFO returns 0 and pops nothing", () => {
  const port = new Uart16550();
  assert.equal(port.read(UART_RX), 0);
  assert.equal(port.toSnapshot().count, 0);
  assert.equal(port.read(UART_LSR), 0x60);
});

Deno.test("Uart16550 stores the whole IER byte but reads it back masked with 0x0F", () => {
  const port = new Uart16550();
  port.write(UART_IER, 0xf5);
  assert.equal(port.read(UART_IER), 0x05);
  assert.equal(port.toSnapshot().uartReg[UART_IER], 0xf5);
});

Deno.test("Uart16550 clears the divisor on an LCR write with DLAB and ORs DLL/DLM writes into it", () => {
  const port = new Uart16550();
  port.write(UART_LCR, 0x83);
  assert.equal(port.read(UART_LCR), 0x83);
  port.write(UART_DLL, 0x0c);
  port.write(UART_DLM, 0x01);
  assert.equal(port.read(UART_DLL), 0x0c);
  assert.equal(port.read(UART_DLM), 0x01);
  // OR, not replace: 0x0C | 0x03 = 0x0F and 0x01 | 0x10 = 0x11.
  port.write(UART_DLL, 0x03);
  port.write(UART_DLM, 0x10);
  assert.equal(port.toSnapshot().divisor, 0x110f);
  // Re-setting DLAB clears the latch; clearing DLAB keeps it.
  port.write(UART_LCR, 0x03);
  assert.equal(port.toSnapshot().divisor, 0x110f);
  port.write(UART_LCR, 0x80);
  assert.equal(port.read(UART_DLL), 0x00);
  assert.equal(port.read(UART_DLM), 0x00);
});

Deno.test("Uart16550 leaves THR, RBR and IER alone while DLAB is set", () => {
  const { port, irq } = countedPort();
  enableFifo(port);
  port.write(UART_TX, 0x41);
  port.write(UART_LCR, 0x80);
  port.write(UART_TX, 0x05); // divisor, not the FIFO
  port.write(UART_IER, 0x02); // divisor, not IER: no THRI interrupt
  assert.equal(port.read(UART_RX), 0x05);
  assert.equal(port.read(UART_IER), 0x02);
  port.write(UART_LCR, 0x00);
  assert.equal(port.read(UART_IER), 0x00);
  assert.equal(port.read(UART_RX), 0x41);
  assert.equal(irq.events, 0);
});

Deno.test("Uart16550 reads IIR 0xC4 with IER.RDI alone before the first FCR write (trigger level 0)", () => {
  const port = new Uart16550();
  port.write(UART_IER, 0x01);
  assert.equal(port.toSnapshot().triggerLevel, 0);
  assert.equal(port.read(UART_IIR), 0xc4);
  port.write(UART_FCR, 0x01);
  assert.equal(port.read(UART_IIR), 0xc1);
});

Deno.test("Uart16550 forces the trigger level to 1 on every FCR write whatever FCR[7:6] says", () => {
  for (const fcr of [0x00, 0x01, 0x41, 0x81, 0xc1, 0xc7, 0x87]) {
    const { port, irq } = countedPort();
    port.write(UART_FCR, fcr);
    assert.equal(port.toSnapshot().triggerLevel, 1);
    assert.equal(port.toSnapshot().fcr, fcr);
    port.write(UART_IER, 0x01);
    port.write(UART_TX, 0x30);
    assert.equal(irq.events, 1, `FCR 0x${fcr.toString(16)}: first byte reaches trigger 1`);
    assert.equal(port.read(UART_IIR), 0xc4);
  }
});

Deno.test("Uart16550 sets the FIFO size from FCR bit 0 and empties it only on a clear bit", () => {
  const port = new Uart16550();
  enableFifo(port);
  for (let byte = 0; byte < 5; byte++) port.write(UART_TX, byte);
  // No clear bit: the bytes stay although the FIFO shrinks to one byte.
  port.write(UART_FCR, 0x00);
  assert.deepEqual([port.toSnapshot().count, port.toSnapshot().maxFifoSize], [5, 1]);
  port.write(UART_TX, 0x99);
  assert.equal(port.read(UART_LSR), 0x03);
  for (const clear of [0x02, 0x04]) {
    port.write(UART_FCR, 0x01);
    port.write(UART_TX, 0x01);
    port.write(UART_FCR, clear | 0x01);
    const snapshot = port.toSnapshot();
    assert.deepEqual([snapshot.count, snapshot.head, snapshot.tail], [0, 0, 0]);
    assert.equal(snapshot.maxFifoSize, 16);
  }
});

Deno.test("Uart16550 keeps LSR.OE across LSR reads and FCR clears", () => {
  const port = new Uart16550();
  port.write(UART_FCR, 0x00);
  port.write(UART_TX, 0x01);
  port.write(UART_TX, 0x02);
  assert.equal(port.read(UART_LSR), 0x03);
  assert.equal(port.read(UART_LSR), 0x03);
  port.write(UART_FCR, 0x07);
  assert.equal(port.read(UART_LSR), 0x62);
  assert.equal(port.read(UART_LSR), 0x62);
});

Deno.test("Uart16550 ORs the IIR causes together instead of priority-encoding them", () => {
  // RLSI + overrun alone.
  const overrun = new Uart16550();
  overrun.write(UART_FCR, 0x00);
  overrun.write(UART_TX, 1);
  overrun.write(UART_TX, 2);
  overrun.write(UART_IER, 0x04);
  assert.equal(overrun.read(UART_IIR), 0xc6);
  // RLSI + THRI: overrun still set after the FIFO has been drained.
  overrun.read(UART_RX);
  overrun.write(UART_IER, 0x06);
  assert.equal(overrun.read(UART_IIR), 0xc6);
  // RDI + THRI on an empty FIFO before any FCR write (trigger level 0).
  const fresh = new Uart16550();
  fresh.write(UART_IER, 0x03);
  assert.equal(fresh.read(UART_IIR), 0xc6);
  // THRI alone, RDI alone.
  const port = new Uart16550();
  enableFifo(port);
  port.write(UART_IER, 0x02);
  assert.equal(port.read(UART_IIR), 0xc2);
  port.write(UART_IER, 0x01);
  port.write(UART_TX, 0x20);
  assert.equal(port.read(UART_IIR), 0xc4);
});

Deno.test("Uart16550 never shows the modem-status cause in IIR", () => {
  const port = new Uart16550();
  port.write(UART_IER, 0x08);
  port.write(UART_MCR, 0x03);
  assert.equal(port.read(UART_IIR), 0xc1);
});

Deno.test("Uart16550 reports FIFOs enabled in IIR even with the FIFO off", () => {
  const port = new Uart16550();
  port.write(UART_FCR, 0x00);
  assert.equal(port.read(UART_IIR) & 0xc0, 0xc0);
});

Deno.test("Uart16550.read() of IIR has no side effects", () => {
  const { port, irq } = countedPort();
  enableFifo(port);
  port.write(UART_TX, 0x10);
  port.write(UART_IER, 0x05);
  const before = port.toSnapshot();
  assert.equal(port.read(UART_IIR), 0xc4);
  assert.equal(port.read(UART_IIR), 0xc4);
  assert.deepEqual(port.toSnapshot(), before);
  assert.equal(irq.events, 0);
});

Deno.test("Uart16550 reads MSR 0xB3 unless MCR.AFE is set and the FIFO is full (0xA2)", () => {
  const port = new Uart16550();
  enableFifo(port);
  assert.equal(port.read(UART_MSR), 0xb3);
  port.write(UART_MCR, 0x20);
  for (let byte = 0; byte < 15; byte++) port.write(UART_TX, byte);
  assert.equal(port.read(UART_MSR), 0xb3);
  port.write(UART_TX, 15);
  assert.equal(port.read(UART_MSR), 0xa2);
  port.write(UART_MCR, 0x00);
  assert.equal(port.read(UART_MSR), 0xb3);
  // The one-byte holding register is full after one byte.
  const single = new Uart16550();
  single.write(UART_FCR, 0x00);
  single.write(UART_MCR, 0x20);
  single.write(UART_TX, 0x01);
  assert.equal(single.read(UART_MSR), 0xa2);
});

Deno.test("Uart16550 does not emulate loopback mode in MSR", () => {
  const port = new Uart16550();
  port.write(UART_MCR, 0x1a); // LOOP | OUT2 | RTS, as autoconfig's loopback test
  assert.equal(port.read(UART_MSR), 0xb3);
  assert.notEqual(port.read(UART_MSR) & 0xf0, 0x90);
});

Deno.test("Uart16550 stores LCR, MCR and SCR bytes and ignores LSR/MSR writes", () => {
  const port = new Uart16550();
  port.write(UART_LCR, 0x5b);
  port.write(UART_MCR, 0xff);
  port.write(UART_SCR, 0xa5);
  port.write(UART_LSR, 0xff);
  port.write(UART_MSR, 0xff);
  assert.deepEqual(
    [port.read(UART_LCR), port.read(UART_MCR), port.read(UART_SCR)],
    [0x5b, 0xff, 0xa5],
  );
  assert.equal(port.read(UART_LSR), 0x60);
  assert.equal(port.read(UART_MSR), 0xb3);
});

Deno.test("Uart16550.write() uses only the low byte of the value", () => {
  const port = new Uart16550();
  port.write(UART_SCR, 0x1234);
  assert.equal(port.read(UART_SCR), 0x34);
});

Deno.test("Uart16550 reads 0 and ignores writes at offsets past the 8 registers", () => {
  const { port, irq } = countedPort();
  const before = port.toSnapshot();
  for (const reg of [8, 9, 0xff, 0xffff]) {
    port.write(reg, 0xff);
    assert.equal(port.read(reg), 0);
  }
  assert.deepEqual(port.toSnapshot(), before);
  assert.equal(irq.events, 0);
});

Deno.test("Uart16550 truncates the register offset to u16 like mtty's handlers", () => {
  const port = new Uart16550();
  port.write(0x10000 + UART_SCR, 0x42);
  assert.equal(port.read(UART_SCR), 0x42);
  assert.equal(port.read(0x20000 + UART_SCR), 0x42);
});

Deno.test("Uart16550 raises an interrupt on every IER write with THRI while the FIFO is empty (§2.5 item 1)", () => {
  const { port, irq } = countedPort();
  port.write(UART_IER, 0x02);
  port.write(UART_IER, 0x02);
  port.write(UART_IER, 0x0f);
  assert.equal(irq.events, 3);
  port.write(UART_IER, 0x0d);
  assert.equal(irq.events, 3);
  enableFifo(port);
  port.write(UART_IER, 0x00);
  port.write(UART_TX, 0x01);
  port.write(UART_IER, 0x02);
  assert.equal(irq.events, 3, "no event with a byte in the FIFO");
});

Deno.test("Uart16550 raises an interrupt when a THR write reaches the trigger level with IER.RDI (§2.5 item 2)", () => {
  const { port, irq } = countedPort();
  port.write(UART_IER, 0x01);
  port.write(UART_TX, 0x01);
  assert.equal(irq.events, 0, "trigger level 0 before any FCR write is never reached");
  port.write(UART_FCR, 0x07);
  port.write(UART_TX, 0x01);
  assert.equal(irq.events, 1);
  port.write(UART_TX, 0x02);
  port.write(UART_TX, 0x03);
  assert.equal(irq.events, 1, "only the byte that makes count == 1");
  port.write(UART_IER, 0x00);
  port.write(UART_FCR, 0x07);
  port.write(UART_TX, 0x04);
  assert.equal(irq.events, 1, "no event without IER.RDI");
});

Deno.test("Uart16550 raises an interrupt per byte written into a full FIFO with IER.RLSI (§2.5 item 3)", () => {
  const { port, irq } = countedPort();
  enableFifo(port);
  for (let byte = 0; byte < 16; byte++) port.write(UART_TX, byte);
  port.write(UART_TX, 16);
  assert.equal(irq.events, 0, "no event without IER.RLSI");
  port.write(UART_IER, 0x04);
  port.write(UART_TX, 17);
  port.write(UART_TX, 18);
  assert.equal(irq.events, 2);
});

Deno.test("Uart16550 raises an interrupt on an RBR read that leaves the FIFO empty with IER.THRI (§2.5 item 4)", () => {
  const { port, irq } = countedPort();
  enableFifo(port);
  port.write(UART_TX, 0x01);
  port.write(UART_TX, 0x02);
  port.write(UART_IER, 0x02);
  assert.equal(irq.events, 0);
  port.read(UART_RX);
  assert.equal(irq.events, 0, "a byte is left");
  port.read(UART_RX);
  assert.equal(irq.events, 1);
  port.read(UART_RX);
  assert.equal(irq.events, 2, "also when the FIFO was already empty");
  port.write(UART_IER, 0x00);
  port.read(UART_RX);
  assert.equal(irq.events, 2);
});

Deno.test("Uart16550 raises interrupts on MCR writes with IER.MSI: one for OUT2, one more for RTS/DTR (§2.5 item 5)", () => {
  const { port, irq } = countedPort();
  port.write(UART_MCR, 0x0b);
  assert.equal(irq.events, 0, "no event without IER.MSI");
  port.write(UART_IER, 0x08);
  port.write(UART_MCR, 0x08);
  assert.equal(irq.events, 1);
  port.write(UART_MCR, 0x0b);
  assert.equal(irq.events, 3);
  port.write(UART_MCR, 0x01);
  port.write(UART_MCR, 0x02);
  assert.equal(irq.events, 5);
  port.write(UART_MCR, 0x00);
  port.write(UART_MCR, 0x10);
  assert.equal(irq.events, 5);
});

Deno.test("Uart16550 raises no interrupt for FCR clears, LCR/SCR writes or status reads", () => {
  const { port, irq } = countedPort();
  port.write(UART_IER, 0x0f);
  assert.equal(irq.events, 1);
  port.write(UART_FCR, 0x07);
  port.write(UART_FCR, 0x01);
  port.write(UART_LCR, 0x03);
  port.write(UART_SCR, 0x00);
  port.write(UART_LSR, 0x00);
  port.write(UART_MSR, 0x00);
  for (const reg of [UART_IER, UART_IIR, UART_LCR, UART_MCR, UART_LSR, UART_MSR, UART_SCR]) {
    port.read(reg);
  }
  assert.equal(irq.events, 1);
});

Deno.test("Uart16550 gives an unattended port no interrupt handler and still works", () => {
  const port = new Uart16550();
  assert.equal(port.onInterrupt, null);
  port.write(UART_IER, 0x0f);
  assert.equal(port.read(UART_IIR), 0xc6);
});

/** One register access with its expected answer; `value` is written for W, expected for R. */
type Step = readonly [label: string, op: "R" | "W", reg: number, value: number];

function runSteps(port: Uart16550, steps: readonly Step[]): void {
  for (const [label, op, reg, value] of steps) {
    if (op === "W") port.write(reg, value);
    else assert.equal(port.read(reg), value, `step ${label}`);
  }
}

const AUTOCONFIG_PROBE: readonly Step[] = [
  ["1", "R", UART_IER, 0x00],
  ["2", "W", UART_IER, 0x00],
  ["3", "R", UART_IER, 0x00],
  ["4", "W", UART_IER, 0x0f],
  ["5", "R", UART_IER, 0x0f],
  ["6", "W", UART_IER, 0x00],
  ["7", "R", UART_MCR, 0x00],
  ["8", "R", UART_LCR, 0x00],
];

const AUTOCONFIG_16550A: readonly Step[] = [
  ["12", "W", UART_LCR, 0xbf],
  ["13", "W", 2, 0x00],
  ["14", "W", UART_LCR, 0x00],
  ["15", "W", UART_FCR, 0x01],
  ["16", "R", UART_IIR, 0xc1],
  ["17", "W", UART_LCR, 0x80],
  ["18", "R", 2, 0xc1],
  ["19", "W", UART_LCR, 0xbf],
  ["20", "R", 2, 0xc1],
  ["21", "W", UART_LCR, 0x00],
  ["22", "R", UART_MCR, 0x00],
  ["23", "W", UART_LCR, 0xe0],
  ["24", "R", 2, 0xc1],
  ["25", "W", UART_LCR, 0x00],
  ["26", "W", UART_MCR, 0x10],
  ["27", "W", UART_LCR, 0xe0],
  ["28", "R", 2, 0xc1],
  ["29", "W", UART_LCR, 0x00],
  ["30", "W", UART_MCR, 0x00],
  ["31", "W", UART_LCR, 0x00],
  ["32", "W", UART_FCR, 0x21],
  ["33", "R", UART_IIR, 0xc1],
  ["34", "W", UART_FCR, 0x01],
  ["35", "W", UART_LCR, 0x80],
  ["36", "W", UART_FCR, 0x21],
  ["37", "R", UART_IIR, 0xc1],
  ["38", "W", UART_FCR, 0x01],
  ["39", "W", UART_LCR, 0x00],
  ["40", "R", UART_IER, 0x00],
  ["41", "W", UART_IER, 0x00],
  ["42", "R", UART_IER, 0x00],
  ["43", "W", UART_IER, 0x40],
  ["44", "R", UART_IER, 0x00],
  ["45", "W", UART_IER, 0x00],
  ["46a", "R", UART_LCR, 0x00],
  ["46b", "W", UART_LCR, 0x00],
  ["46c", "R", UART_IIR, 0xc1],
  ["46d", "R", UART_MCR, 0x00],
  ["46e", "W", UART_FCR, 0x07],
  ["46f", "W", UART_MCR, 0x10],
  ["46g", "W", UART_LCR, 0x80],
  ["46h", "R", UART_DLL, 0x00],
  ["46h", "R", UART_DLM, 0x00],
  ["46i", "W", UART_DLL, 0x01],
  ["46i", "W", UART_DLM, 0x00],
  ["46i", "R", UART_DLL, 0x01],
  ["46j", "W", UART_LCR, 0x03],
];

const AUTOCONFIG_RESTORE: readonly Step[] = [
  ["46m", "W", UART_FCR, 0xc1],
  ["46n", "W", UART_MCR, 0x00],
  ["46o", "W", UART_LCR, 0x80],
  ["46p", "W", UART_DLL, 0x00],
  ["46p", "W", UART_DLM, 0x00],
  ["46q", "W", UART_LCR, 0x00],
  ["47", "W", UART_LCR, 0x00],
  ["48", "W", UART_MCR, 0x00],
  ["49", "W", UART_FCR, 0x01],
  ["49", "W", UART_FCR, 0x07],
  ["49", "W", UART_FCR, 0x00],
  ["50", "R", UART_RX, 0x00],
  ["51", "W", UART_IER, 0x00],
];

Deno.test("Uart16550 answers Linux autoconfig() like mtty, with 16 bytes from size_fifo (A1)", () => {
  const { port, irq } = countedPort();
  runSteps(port, AUTOCONFIG_PROBE);
  assert.equal(irq.events, 1, "step 4: IER = 0x0F with THRI and an empty FIFO");
  runSteps(port, AUTOCONFIG_16550A);
  // 46k: size_fifo sends 256 bytes; mtty keeps the first 16 and flags an overrun.
  for (let byte = 0; byte < 256; byte++) port.write(UART_TX, byte);
  assert.deepEqual([port.toSnapshot().count, port.toSnapshot().overrun], [16, true]);
  // 46l: read while LSR.DR, as size_fifo does (with its own cap).
  const received: number[] = [];
  while ((port.read(UART_LSR) & 0x01) !== 0 && received.length < 256 << 5) {
    received.push(port.read(UART_RX));
  }
  assert.deepEqual(received, Array.from({ length: 16 }, (_, i) => i));
  runSteps(port, AUTOCONFIG_RESTORE);
  assert.equal(port.toSnapshot().maxFifoSize, 1, "49: clear_fifos ends with FCR = 0");
  assert.equal(port.read(UART_LSR), 0x62, "OE lingers until the next THR write");
  assert.equal(irq.events, 1);
});

Deno.test("Uart16550 fails autoconfig's loopback test when UPF_SKIP_TEST is clear (A1 steps 9–11)", () => {
  const port = new Uart16550();
  runSteps(port, AUTOCONFIG_PROBE);
  port.write(UART_MCR, 0x1a);
  const msr = port.read(UART_MSR);
  port.write(UART_MCR, 0x00);
  assert.equal(msr, 0xb3);
  assert.notEqual(msr & 0xf0, 0x90);
});

const STARTUP: readonly Step[] = [
  ["reg", "W", UART_MCR, 0x00],
  ["1", "W", UART_FCR, 0x01],
  ["2", "W", UART_FCR, 0x07],
  ["3", "W", UART_FCR, 0x00],
  ["4", "R", UART_LSR, 0x60],
  ["5", "R", UART_RX, 0x00],
  ["6", "R", UART_IIR, 0xc1],
  ["7", "R", UART_MSR, 0xb3],
  ["8", "R", UART_LSR, 0x60],
  ["10", "R", UART_LSR, 0x60],
  ["11", "W", UART_IER, 0x02],
  ["12", "R", UART_IIR, 0xc2],
  ["13", "W", UART_IER, 0x00],
  ["14", "W", UART_IER, 0x02],
  ["15", "R", UART_IIR, 0xc2],
  ["16", "W", UART_IER, 0x00],
  ["17", "W", UART_LCR, 0x03],
  ["18", "W", UART_MCR, 0x08],
  ["19", "W", UART_IER, 0x02],
  ["20", "R", UART_LSR, 0x60],
  ["21", "R", UART_IIR, 0xc2],
  ["22", "W", UART_IER, 0x00],
  ["23", "R", UART_LSR, 0x60],
  ["23", "R", UART_RX, 0x00],
  ["23", "R", UART_IIR, 0xc1],
  ["23", "R", UART_MSR, 0xb3],
];

const SET_TERMIOS: readonly Step[] = [
  ["24", "W", UART_IER, 0x05],
  ["25", "W", UART_LCR, 0x83],
  ["26", "W", UART_DLL, 0x0c],
  ["27", "W", UART_DLM, 0x00],
  ["27", "R", UART_DLL, 0x0c],
  ["27", "R", UART_DLM, 0x00],
  ["28", "W", UART_LCR, 0x03],
  ["29", "W", UART_FCR, 0x01],
  ["30", "W", UART_FCR, 0x87],
  ["31", "W", UART_MCR, 0x08],
  ["31", "W", UART_MCR, 0x0b],
];

Deno.test("Uart16550 answers the Linux 8250 startup and set_termios sequence like mtty (A2)", () => {
  const { port, irq } = countedPort();
  runSteps(port, STARTUP);
  assert.equal(irq.events, 3, "steps 11, 14 and 19 each raise THRI");
  runSteps(port, SET_TERMIOS);
  assert.equal(irq.events, 3, "IER 0x05 has no THRI and IER.MSI is clear for the MCR writes");
  const snapshot = port.toSnapshot();
  assert.deepEqual(
    [snapshot.divisor, snapshot.dlab, snapshot.maxFifoSize, snapshot.triggerLevel, snapshot.fcr],
    [12, false, 16, 1, 0x87],
  );
});

Deno.test("Uart16550 echoes what a Linux guest transmits, with one THRI and one RDI interrupt (A2 data flow)", () => {
  const { port, irq } = countedPort();
  runSteps(port, [...STARTUP, ...SET_TERMIOS]);
  const before = irq.events;
  const message = Array.from(new TextEncoder().encode("hello, mtty!\r\n"));
  port.write(UART_IER, 0x07); // start_tx
  assert.equal(irq.events, before + 1);
  assert.equal(port.read(UART_IIR), 0xc2);
  assert.equal(port.read(UART_LSR), 0x60);
  assert.equal(port.read(UART_MSR), 0xb3);
  for (const byte of message) port.write(UART_TX, byte);
  assert.equal(irq.events, before + 2, "the first byte reaches trigger level 1");
  port.write(UART_IER, 0x05); // xmit buffer empty
  assert.equal(port.read(UART_IIR), 0xc4);
  const received: number[] = [];
  while ((port.read(UART_LSR) & 0x01) !== 0 && received.length <= MTTY_FIFO_SIZE) {
    received.push(port.read(UART_RX));
  }
  assert.deepEqual(received, message);
  assert.equal(irq.events, before + 2, "THRI is clear when the last byte is read");
});

Deno.test("Uart16550 overruns on the 17th unread byte with an RLSI interrupt (A2 throughput coupling)", () => {
  const { port, irq } = countedPort();
  runSteps(port, [...STARTUP, ...SET_TERMIOS]);
  const before = irq.events;
  for (let byte = 0; byte < 17; byte++) port.write(UART_TX, byte);
  assert.equal(irq.events, before + 2, "RDI for the first byte, RLSI for the dropped one");
  assert.equal(port.read(UART_LSR), 0x03);
  assert.equal(port.read(UART_IIR), 0xc6);
});

Deno.test("Uart16550.toSnapshot() names the fields of a fresh port", () => {
  assert.deepEqual(new Uart16550().toSnapshot(), {
    uartReg: [0, 0, 0, 0, 0, 0, 0, 0],
    fifo: new Array(16).fill(0),
    head: 0,
    tail: 0,
    count: 0,
    dlab: false,
    overrun: false,
    divisor: 0,
    fcr: 0,
    maxFifoSize: 16,
    triggerLevel: 0,
  });
});

Deno.test("Uart16550.toSnapshot() returns data detached from the port", () => {
  const port = new Uart16550();
  const snapshot = port.toSnapshot();
  snapshot.uartReg[UART_SCR] = 0x77;
  snapshot.fifo[0] = 0x77;
  assert.equal(port.read(UART_SCR), 0);
  assert.equal(port.toSnapshot().fifo[0], 0);
});

Deno.test("Uart16550.fromSnapshot() restores a wrapped FIFO byte for byte", () => {
  const port = new Uart16550();
  enableFifo(port);
  for (let byte = 0; byte < 12; byte++) port.write(UART_TX, byte);
  for (let i = 0; i < 10; i++) port.read(UART_RX);
  for (let byte = 12; byte < 24; byte++) port.write(UART_TX, byte);
  const restored = Uart16550.fromSnapshot(port.toSnapshot());
  assert.equal(restored.onInterrupt, null);
  const drained: number[] = [];
  while ((restored.read(UART_LSR) & 0x01) !== 0) drained.push(restored.read(UART_RX));
  assert.deepEqual(drained, Array.from({ length: 14 }, (_, i) => i + 10));
});

Deno.test("Uart16550.fromSnapshot() throws TypeError on a malformed snapshot", () => {
  const valid = new Uart16550().toSnapshot();
  const broken: Array<[string, unknown]> = [
    ["not an object", null],
    ["missing field", { ...valid, divisor: undefined }],
    ["short register file", { ...valid, uartReg: [0, 0, 0] }],
    ["fifo is not an array", { ...valid, fifo: "0000" }],
    ["register above 0xFF", { ...valid, uartReg: [0, 256, 0, 0, 0, 0, 0, 0] }],
    ["fractional byte", { ...valid, fifo: [0.5, ...valid.fifo.slice(1)] }],
    ["head out of range", { ...valid, head: 16, tail: 16 }],
    ["count above 16", { ...valid, count: 17 }],
    ["indices disagree with count", { ...valid, head: 3, tail: 0, count: 2 }],
    ["dlab not boolean", { ...valid, dlab: 1 }],
    ["divisor above u16", { ...valid, divisor: 0x10000 }],
    ["maxFifoSize above 16", { ...valid, maxFifoSize: 17 }],
    ["negative trigger level", { ...valid, triggerLevel: -1 }],
  ];
  for (const [label, snapshot] of broken) {
    assert.throws(() => Uart16550.fromSnapshot(snapshot as UartSnapshot), TypeError, label);
  }
});

Deno.test("Uart16550.fromSnapshot() accepts a full FIFO whose head has wrapped onto its tail", () => {
  const port = new Uart16550();
  enableFifo(port);
  for (let byte = 0; byte < 16; byte++) port.write(UART_TX, byte);
  const snapshot = port.toSnapshot();
  assert.deepEqual([snapshot.head, snapshot.tail, snapshot.count], [0, 0, 16]);
  assert.deepEqual(Uart16550.fromSnapshot(snapshot).toSnapshot(), snapshot);
});

/** A register access; a write's value may exceed a byte to exercise the low-byte rule. */
type Op = { write: boolean; reg: number; value: number };

// THR writes outnumber RBR reads, so random runs fill, overrun and drain the FIFO.
const byteArbitrary = fc.integer({ min: 0, max: 0xff });
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      write: fc.constant(true),
      reg: fc.constant(UART_TX),
      value: byteArbitrary,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      write: fc.constant(false),
      reg: fc.constant(UART_RX),
      value: byteArbitrary,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      write: fc.boolean(),
      reg: fc.integer({ min: 0, max: 9 }),
      value: fc.integer({ min: 0, max: 0xffff }),
    }),
  },
);
const opsArbitrary = fc.array(opArbitrary, { maxLength: 300, size: "max" });

function apply(port: Uart16550, op: Op): number | undefined {
  if (op.write) {
    port.write(op.reg, op.value);
    return undefined;
  }
  return port.read(op.reg);
}

function isByte(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xff;
}

Deno.test("Uart16550 keeps every register a byte and the FIFO within 16 bytes under random accesses", () => {
  fc.assert(
    fc.property(opsArbitrary, (ops) => {
      const port = new Uart16550();
      for (const op of ops) {
        const before = port.toSnapshot();
        const answer = apply(port, op);
        const after = port.toSnapshot();
        if (answer !== undefined) assert.ok(isByte(answer), `read ${op.reg} gave ${answer}`);
        assert.ok(after.uartReg.every(isByte) && after.fifo.every(isByte));
        assert.ok(isByte(after.fcr) && isByte(after.triggerLevel));
        assert.ok(Number.isInteger(after.divisor) && after.divisor >= 0 && after.divisor <= 0xffff);
        assert.ok(after.count >= 0 && after.count <= MTTY_FIFO_SIZE);
        assert.equal((after.tail + after.count) % MTTY_FIFO_SIZE, after.head);
        if (op.write && op.reg === UART_TX && !before.dlab) {
          // A THR byte is accepted only below max_fifo_size, so it never pushes count past it.
          const accepted = before.count < before.maxFifoSize;
          assert.equal(after.count, before.count + (accepted ? 1 : 0));
          assert.equal(after.overrun, !accepted);
          if (accepted) assert.ok(after.count <= after.maxFifoSize);
        }
      }
    }),
  );
});

Deno.test("Uart16550 snapshot round-trips exactly and the restored port continues identically", () => {
  fc.assert(
    fc.property(
      opsArbitrary,
      opsArbitrary,
      (prefix, suffix) => {
        const { port, irq } = countedPort();
        for (const op of prefix) apply(port, op);
        const snapshot = port.toSnapshot();
        const clone = Uart16550.fromSnapshot(JSON.parse(JSON.stringify(snapshot)));
        assert.deepEqual(clone.toSnapshot(), snapshot);
        const cloneIrq = { events: 0 };
        clone.onInterrupt = () => cloneIrq.events++;
        const eventsAtSnapshot = irq.events;
        for (const op of suffix) assert.equal(apply(clone, op), apply(port, op));
        assert.equal(cloneIrq.events, irq.events - eventsAtSnapshot);
        assert.deepEqual(clone.toSnapshot(), port.toSnapshot());
      },
    ),
  );
});
