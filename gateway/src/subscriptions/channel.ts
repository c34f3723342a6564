/**
 * An async iterator fed by `push`: what graphql-ws consumes for one subscription. It ends when
 * the client leaves (graphql-ws calls `return`), and then runs `onClose` to release what the
 * subscription held.
 */
export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;

  constructor(
    private readonly onClose: () => void,
    /** A consumer this far behind is cut off rather than buffered without bound. */
    private readonly maxBuffered = 1_000,
    /** Delivered last when a consumer is cut off, so it learns why its stream ended. */
    private readonly overflow?: T,
  ) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
      return;
    }
    if (this.buffer.length >= this.maxBuffered) {
      if (this.overflow !== undefined) this.buffer.push(this.overflow);
      this.close();
      return;
    }
    this.buffer.push(value);
  }

  /** Ends the stream after what is already buffered. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  get isClosed() {
    return this.closed;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
