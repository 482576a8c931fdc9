/**
 * One serial port of the mtty sample: the 16550A that `handle_bar_read` and
 * `handle_bar_write` in samples/vfio-mdev/mtty.c emulate behind an 8-byte I/O
 * BAR, quirks included (spec: samples.md §2.4, §2.5).
 *
 * The model is pure: it knows nothing of VFIO. The device layer maps a BAR
 * access to {@linkcode Uart16550.read} / {@linkcode Uart16550.write} and routes
 * {@linkcode Uart16550.onInterrupt} to INTx or MSI.
 *
 * @module
 */

// Register offsets (include/uapi/linux/serial_reg.h). Several share an offset.
/** Receive buffer register (read, DLAB = 0). */
export const UART_RX = 0;
/** Transmit holding register (write, DLAB = 0). */
export const UART_TX = 0;
/** Divisor latch low byte (DLAB = 1). */
export const UART_DLL = 0;
/** Interrupt enable register (DLAB = 0). */
export const UART_IER = 1;
/** Divisor latch high byte (DLAB = 1). */
export const UART_DLM = 1;
/** Interrupt identification register (read). */
export const UART_IIR = 2;
/** FIFO control register (write). */
export const UART_FCR = 2;
/** Line control register. */
export const UART_LCR = 3;
/** Modem control register. */
export const UART_MCR = 4;
/** Line status register (read only). */
export const UART_LSR = 5;
/** Modem status register (read only). */
export const UART_MSR = 6;
/** Scratch register. */
export const UART_SCR = 7;

/** IER: received data available interrupt. */
export const UART_IER_RDI = 0x01;
/** IER: transmitter holding register empty interrupt. */
export const UART_IER_THRI = 0x02;
/** IER: receiver line status interrupt. */
export const UART_IER_RLSI = 0x04;
/** IER: modem status interrupt. */
export const UART_IER_MSI = 0x08;

/** IIR: no interrupt pending. */
export const UART_IIR_NO_INT = 0x01;
/** IIR: transmitter holding register empty. */
export const UART_IIR_THRI = 0x02;
/** IIR: receiver data interrupt. */
export const UART_IIR_RDI = 0x04;
/** IIR: receiver line status interrupt. */
export const UART_IIR_RLSI = 0x06;

/** FCR: enable the FIFO. */
export const UART_FCR_ENABLE_FIFO = 0x01;
/** FCR: clear the receive FIFO. */
export const UART_FCR_CLEAR_RCVR = 0x02;
/** FCR: clear the transmit FIFO. */
export const UART_FCR_CLEAR_XMIT = 0x04;

/** LCR: divisor latch access bit. */
export const UART_LCR_DLAB = 0x80;

/** MCR: data terminal ready. */
export const UART_MCR_DTR = 0x01;
/** MCR: request to send. */
export const UART_MCR_RTS = 0x02;
/** MCR: OUT2 (interrupt enable on PC-style boards). */
export const UART_MCR_OUT2 = 0x08;
/** MCR: auto flow control enable. */
export const UART_MCR_AFE = 0x20;

/** LSR: data ready. */
export const UART_LSR_DR = 0x01;
/** LSR: overrun error. */
export const UART_LSR_OE = 0x02;
/** LSR: transmitter holding register empty. */
export const UART_LSR_THRE = 0x20;
/** LSR: transmitter empty. */
export const UART_LSR_TEMT = 0x40;

/** MSR: delta clear to send. */
export const UART_MSR_DCTS = 0x01;
/** MSR: delta data set ready. */
export const UART_MSR_DDSR = 0x02;
/** MSR: clear to send. */
export const UART_MSR_CTS = 0x10;
/** MSR: data set ready. */
export const UART_MSR_DSR = 0x20;
/** MSR: data carrier detect. */
export const UART_MSR_DCD = 0x80;

/** Size of mtty's loopback FIFO (`MAX_FIFO_SIZE`). */
export const MTTY_FIFO_SIZE = 16;

const FIFO_INDEX_MASK = MTTY_FIFO_SIZE - 1;
const REGISTER_COUNT = 8;

/**
 * The state of one port with the fields of mtty's `struct serial_port`, so a
 * migration stream maps onto it field by field.
 */
export interface UartSnapshot {
  /** `uart_reg[8]`; mtty only ever stores IER (1), LCR (3), MCR (4) and SCR (7). */
  uartReg: number[];
  /** The 16-byte circular loopback FIFO. */
  fifo: number[];
  /** Index where the next THR byte goes (0..15). */
  head: number;
  /** Index of the oldest byte (0..15). */
  tail: number;
  /** Bytes in the FIFO (0..16); `(tail + count) % 16 === head`. */
  count: number;
  /** Divisor latch access (LCR bit 7 at the last LCR write). */
  dlab: boolean;
  /** Overrun flag shown as LSR.OE. */
  overrun: boolean;
  /** Divisor latch (u16). */
  divisor: number;
  /** Last byte written to FCR. */
  fcr: number;
  /** Bytes the FIFO accepts before THR writes overrun (0..16; mtty uses 1 or 16). */
  maxFifoSize: number;
  /** `intr_trigger_level` (u8): 0 until the first FCR write, then always 1. */
  triggerLevel: number;
}

/**
 * One mtty port. All registers are bytes; reads and writes have exactly the
 * side effects of the sample, including its departures from a real 16550A.
 *
 * @example Loopback: what is written to THR comes back from RBR
 * ```ts
 * import assert from "node:assert/strict";
 * import { Uart16550, UART_FCR, UART_LSR, UART_RX, UART_TX } from "./uart.ts";
 *
 * const port = new Uart16550();
 * port.write(UART_FCR, 0x07);
 * port.write(UART_TX, 0x41);
 * assert.equal(port.read(UART_LSR), 0x01);
 * assert.equal(port.read(UART_RX), 0x41);
 * ```
 */
export class Uart16550 {
  /**
   * Called once per interrupt event the port raises (§2.5 items 1–5); the
   * VFIO layer routes it to INTx/MSI. Events are edges: nothing is latched.
   */
  onInterrupt: (() => void) | null = null;

  #reg = new Uint8Array(REGISTER_COUNT);
  // One FIFO for both directions: THR appends, RBR pops (mtty's loopback).
  #fifo = new Uint8Array(MTTY_FIFO_SIZE);
  #head = 0;
  #tail = 0;
  #count = 0;
  #dlab = false;
  #overrun = false;
  #divisor = 0;
  #fcr = 0;
  #maxFifoSize = MTTY_FIFO_SIZE;
  // QUIRK: starts at 0, so IER.RDI alone reports IIR 0xC4 until the first FCR write.
  #triggerLevel = 0;

  /**
   * Reads the register at `reg` (offset inside the port's 8-byte I/O BAR).
   *
   * mtty's handler takes a u16 offset and ignores offsets it does not know; it
   * then leaves the caller's buffer untouched, which this model reports as 0.
   *
   * @param reg Register offset, 0..7.
   * @returns The byte the sample answers.
   */
  read(reg: number): number {
    switch (reg & 0xffff) {
      case UART_RX:
        return this.#dlab ? this.#divisor & 0xff : this.#readRbr();
      case UART_IER:
        // QUIRK: IER reads back masked with 0x0F although all 8 bits are stored.
        return this.#dlab ? this.#divisor >> 8 : this.#reg[UART_IER] & 0x0f;
      case UART_IIR:
        return this.#readIir();
      case UART_LCR:
        return this.#reg[UART_LCR];
      case UART_MCR:
        return this.#reg[UART_MCR];
      case UART_LSR:
        return this.#readLsr();
      case UART_MSR:
        return this.#readMsr();
      case UART_SCR:
        return this.#reg[UART_SCR];
      default:
        return 0;
    }
  }

  /**
   * Writes `value` to the register at `reg` (offset inside the port's 8-byte I/O BAR).
   * Only the low byte of `value` is used, as the sample takes the first byte of
   * a little-endian buffer. Writes to LSR, MSR and unknown offsets are ignored.
   *
   * @param reg Register offset, 0..7.
   * @param value The byte to write.
   */
  write(reg: number, value: number): void {
    const data = value & 0xff;
    switch (reg & 0xffff) {
      case UART_TX:
        // QUIRK: the divisor latch is ORed into, never replaced; an LCR write with DLAB clears it.
        if (this.#dlab) this.#divisor |= data;
        else this.#writeThr(data);
        return;
      case UART_IER:
        if (this.#dlab) {
          this.#divisor |= data << 8;
          return;
        }
        this.#reg[UART_IER] = data;
        // Every IER write with THRI set and an empty FIFO raises an interrupt, not just the first.
        if ((data & UART_IER_THRI) !== 0 && this.#count === 0) this.#raise();
        return;
      case UART_FCR:
        this.#writeFcr(data);
        return;
      case UART_LCR:
        this.#dlab = (data & UART_LCR_DLAB) !== 0;
        if (this.#dlab) this.#divisor = 0;
        this.#reg[UART_LCR] = data;
        return;
      case UART_MCR:
        this.#writeMcr(data);
        return;
      case UART_SCR:
        this.#reg[UART_SCR] = data;
        return;
    }
  }

  /** The port's state as named plain fields (JSON-safe, detached from the port). */
  toSnapshot(): UartSnapshot {
    return {
      uartReg: Array.from(this.#reg),
      fifo: Array.from(this.#fifo),
      head: this.#head,
      tail: this.#tail,
      count: this.#count,
      dlab: this.#dlab,
      overrun: this.#overrun,
      divisor: this.#divisor,
      fcr: this.#fcr,
      maxFifoSize: this.#maxFifoSize,
      triggerLevel: this.#triggerLevel,
    };
  }

  /**
   * Rebuilds a port from {@linkcode Uart16550.toSnapshot} output. The new port
   * has no `onInterrupt` handler.
   *
   * @param snapshot A snapshot as produced by `toSnapshot`.
   * @returns A port that continues exactly where the snapshotted one stopped.
   * @throws {TypeError} If a field is missing, of the wrong type, out of range,
   * or the FIFO indices disagree with `count`.
   */
  static fromSnapshot(snapshot: UartSnapshot): Uart16550 {
    if (typeof snapshot !== "object" || snapshot === null) {
      throw new TypeError("Cannot restore UART: snapshot is not an object");
    }
    const port = new Uart16550();
    port.#reg.set(byteArray(snapshot.uartReg, "uartReg", REGISTER_COUNT));
    port.#fifo.set(byteArray(snapshot.fifo, "fifo", MTTY_FIFO_SIZE));
    port.#head = integerIn(snapshot.head, "head", FIFO_INDEX_MASK);
    port.#tail = integerIn(snapshot.tail, "tail", FIFO_INDEX_MASK);
    port.#count = integerIn(snapshot.count, "count", MTTY_FIFO_SIZE);
    if (((port.#tail + port.#count) & FIFO_INDEX_MASK) !== port.#head) {
      throw new TypeError(
        `Cannot restore UART: "head" ${port.#head} is not "tail" ${port.#tail} + "count" ` +
          `${port.#count} modulo 16`,
      );
    }
    port.#dlab = boolean(snapshot.dlab, "dlab");
    port.#overrun = boolean(snapshot.overrun, "overrun");
    port.#divisor = integerIn(snapshot.divisor, "divisor", 0xffff);
    port.#fcr = integerIn(snapshot.fcr, "fcr", 0xff);
    port.#maxFifoSize = integerIn(snapshot.maxFifoSize, "maxFifoSize", MTTY_FIFO_SIZE);
    port.#triggerLevel = integerIn(snapshot.triggerLevel, "triggerLevel", 0xff);
    return port;
  }

  #raise(): void {
    const handler = this.onInterrupt;
    if (handler !== null) handler();
  }

  // Emptiness is `count === 0`. mtty.c tests `head == tail`, which a full 16-byte
  // FIFO also satisfies (it would then read as empty and could not be drained);
  // the project spec (§6 T11, §2.7 A1 step 46l) treats a full FIFO as full.
  #writeThr(data: number): void {
    if (this.#count < this.#maxFifoSize) {
      this.#fifo[this.#head] = data;
      this.#head = (this.#head + 1) & FIFO_INDEX_MASK;
      this.#count++;
      // QUIRK: only an accepted byte clears the overrun flag (not LSR reads, not FCR).
      this.#overrun = false;
      if ((this.#reg[UART_IER] & UART_IER_RDI) !== 0 && this.#count === this.#triggerLevel) {
        this.#raise();
      }
    } else {
      this.#overrun = true;
      if ((this.#reg[UART_IER] & UART_IER_RLSI) !== 0) this.#raise();
    }
  }

  #readRbr(): number {
    // QUIRK: the sample returns stack garbage for an empty FIFO; this model answers 0.
    let data = 0;
    if (this.#count !== 0) {
      data = this.#fifo[this.#tail];
      this.#tail = (this.#tail + 1) & FIFO_INDEX_MASK;
      this.#count--;
    }
    // Raised even when the FIFO was already empty before this read.
    if (this.#count === 0 && (this.#reg[UART_IER] & UART_IER_THRI) !== 0) this.#raise();
    return data;
  }

  #writeFcr(data: number): void {
    this.#fcr = data;
    if ((data & (UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)) !== 0) {
      // QUIRK: clearing the FIFO leaves the overrun flag set.
      this.#count = 0;
      this.#head = 0;
      this.#tail = 0;
    }
    // QUIRK: mtty decodes FCR[7:6] into 1/4/8/14 and then overwrites it with 1.
    this.#triggerLevel = 1;
    this.#maxFifoSize = (data & UART_FCR_ENABLE_FIFO) !== 0 ? MTTY_FIFO_SIZE : 1;
  }

  #writeMcr(data: number): void {
    this.#reg[UART_MCR] = data;
    if ((this.#reg[UART_IER] & UART_IER_MSI) === 0) return;
    // Two independent checks, so OUT2 together with RTS or DTR raises two events.
    if ((data & UART_MCR_OUT2) !== 0) this.#raise();
    if ((data & (UART_MCR_RTS | UART_MCR_DTR)) !== 0) this.#raise();
  }

  // QUIRK: causes are ORed rather than priority-encoded, and bits 7:6 always
  // claim "FIFOs enabled" whatever FCR says. Reading IIR clears nothing.
  #readIir(): number {
    const ier = this.#reg[UART_IER];
    let iir = 0;
    if ((ier & UART_IER_RLSI) !== 0 && this.#overrun) iir |= UART_IIR_RLSI;
    if ((ier & UART_IER_RDI) !== 0 && this.#count >= this.#triggerLevel) iir |= UART_IIR_RDI;
    if ((ier & UART_IER_THRI) !== 0 && this.#count === 0) iir |= UART_IIR_THRI;
    // The modem-status cause (IER.MSI with RTS/DTR) ORs in UART_IIR_MSI = 0, so it never shows.
    if (iir === 0) iir = UART_IIR_NO_INT;
    return iir | 0xc0;
  }

  // QUIRK: THRE/TEMT depend on the guest having read back everything it sent,
  // and OE stays set until the next accepted THR write.
  #readLsr(): number {
    let lsr = 0;
    if (this.#count !== 0) lsr |= UART_LSR_DR;
    else lsr |= UART_LSR_TEMT | UART_LSR_THRE;
    if (this.#overrun) lsr |= UART_LSR_OE;
    return lsr;
  }

  // QUIRK: the delta bits never clear, and loopback (MCR.LOOP) is not mirrored.
  #readMsr(): number {
    const msr = UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD;
    if ((this.#reg[UART_MCR] & UART_MCR_AFE) !== 0 && this.#count >= this.#maxFifoSize) return msr;
    return msr | UART_MSR_CTS | UART_MSR_DCTS;
  }
}

function integerIn(value: unknown, field: string, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new TypeError(`Cannot restore UART: "${field}" must be an integer in 0..${max}`);
  }
  return value;
}

function boolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`Cannot restore UART: "${field}" must be a boolean`);
  }
  return value;
}

function byteArray(value: unknown, field: string, length: number): number[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new TypeError(`Cannot restore UART: "${field}" must be an array of ${length} bytes`);
  }
  for (let i = 0; i < length; i++) integerIn(value[i], `${field}[${i}]`, 0xff);
  return value;
}
