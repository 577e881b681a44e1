/**
 * @module http/gateway-response
 * The gateway's ServerResponse: it writes the request's `x-switchyard-request-id` into whatever
 * head goes out (a route's `writeHead`, an error, Node's implicit head), and remembers the
 * headers that head was written with, for the access log. Setting the id up front with
 * `setHeader` would put every response on Node's slow head path — each header validated and
 * copied into the response's header map one `setHeader` at a time, and that map kept for the
 * life of a stream — where a head given whole to `writeHead` is written straight out.
 * A headers object given to `writeHead` becomes the response's own (the id is added to it), so
 * routes pass a fresh literal, never a shared constant.
 */

import {
  type IncomingMessage,
  type OutgoingHttpHeader,
  type OutgoingHttpHeaders,
  ServerResponse,
} from 'node:http';

const REQUEST_ID = 'x-switchyard-request-id';

export class GatewayResponse<
  Request extends IncomingMessage = IncomingMessage,
> extends ServerResponse<Request> {
  /** Set by the front door before any route runs; empty until then. */
  requestId = '';
  /** The headers object the head was written with (when it was given as one). */
  written: OutgoingHttpHeaders | undefined = undefined;

  override writeHead(
    statusCode: number,
    reason?: string | OutgoingHttpHeaders | OutgoingHttpHeader[],
    headers?: OutgoingHttpHeaders | OutgoingHttpHeader[],
  ): this {
    const phrase = typeof reason === 'string' ? reason : undefined;
    const given =
      phrase === undefined ? (reason as OutgoingHttpHeaders | OutgoingHttpHeader[] | undefined) : headers;
    let head = given;
    if (this.requestId !== '') {
      if (head === undefined) head = { [REQUEST_ID]: this.requestId };
      else if (Array.isArray(head)) {
        if (!this.hasHeader(REQUEST_ID)) this.setHeader(REQUEST_ID, this.requestId);
      } else if (head[REQUEST_ID] === undefined) head[REQUEST_ID] = this.requestId;
    }
    if (head !== undefined && !Array.isArray(head)) this.written = head;
    return phrase === undefined
      ? super.writeHead(statusCode, head)
      : super.writeHead(statusCode, phrase, head);
  }

  /** A header of the response as sent: from the head's own object, else from `setHeader`. */
  sentHeader(name: string): string | undefined {
    const value = this.written?.[name] ?? this.getHeader(name);
    return value === undefined ? undefined : String(value);
  }
}
