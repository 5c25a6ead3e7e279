import { connect } from 'node:net';

export interface Trickled {
  /** What the server sent back before it closed the connection. */
  answer: string;
  /** Milliseconds from the first byte sent to the connection closing. */
  closedAfterMs: number;
  /** How many bytes of `text` (after `head`) went out before that. */
  bytesSent: number;
}

/**
 * Sends `head` to 127.0.0.1:`port` over a real TCP socket at once, then
 * `text` one byte every `everyMs` (a slow-loris client), until the server
 * closes the connection; after `giveUpMs` it fails, hanging up itself.
 */
export function trickle(
  port: number,
  text: string,
  { head = '', everyMs = 1000, giveUpMs = 30_000 } = {},
): Promise<Trickled> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const bytes = Buffer.from(text);
    const chunks: Buffer[] = [];
    let bytesSent = 0;
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server still accepted bytes after ${giveUpMs} ms`));
    }, giveUpMs);
    const sendOne = () => {
      if (bytesSent < bytes.length && socket.writable) {
        socket.write(bytes.subarray(bytesSent, bytesSent + 1));
        bytesSent += 1;
      }
      timer = setTimeout(sendOne, everyMs);
    };
    socket.on('connect', () => {
      started = Date.now();
      if (head) socket.write(head);
      sendOne();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // Reset or closed: either way the server cut us off.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      clearTimeout(giveUp);
      resolve({
        answer: Buffer.concat(chunks).toString('latin1'),
        closedAfterMs: Date.now() - started,
        bytesSent,
      });
    });
  });
}
