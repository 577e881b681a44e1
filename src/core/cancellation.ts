/**
 * @module core/cancellation
 * A request's client going away, watched without an EventTarget where that matters: the
 * buffered upstream exchange of every non-streamed request.
 */

/**
 * Something an upstream exchange can watch to end early, without an EventTarget: the client's
 * side of an HTTP request ({@link ClientAbort}).
 */
export interface Cancellation {
  readonly aborted: boolean;
  /** Why it was aborted (an `AbortError` DOMException, as an AbortSignal's); undefined before. */
  readonly reason: unknown;
  /** Calls `listener` once, when aborted (not if already aborted: check `aborted` first). */
  watch(listener: () => void): void;
  unwatch(listener: () => void): void;
}

/**
 * The client's side of a request's life: aborted when the client goes away before its answer
 * is complete. The AbortSignal is made only when something asks for it (retries' back-off,
 * hedging, streams, an error's cause): a buffered request that ends normally never needs one,
 * and an AbortController, its signal and a listener added and removed on that EventTarget cost
 * several µs per request. The buffered exchange watches through {@link Cancellation} instead.
 */
export class ClientAbort implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  #controller: AbortController | undefined = undefined;
  #listeners: (() => void)[] | undefined = undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  watch(listener: () => void): void {
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
  }

  unwatch(listener: () => void): void {
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at !== -1) listeners.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    // What AbortController.abort() gives a signal's reason when it is given none.
    this.reason = new DOMException('This operation was aborted', 'AbortError');
    this.#controller?.abort(this.reason);
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }
}
