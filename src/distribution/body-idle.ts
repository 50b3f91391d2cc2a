/**
 * An idle timeout on a response body. Once a blob download has started, the 30 s
 * header timeout of `send` no longer applies, and a registry that stops sending (a hung
 * server, a dead peer whose connection never closes) would stall a pull forever.
 */
import type { IncomingMessage } from "node:http";

/**
 * Call `onIdle` (once) when `res` receives nothing for `idleMs` while it waits for the
 * server. Time that a slow consumer keeps bytes buffered unread does not count: only
 * the server's silence does. Stops by itself when the body ends, fails or closes;
 * returns a function that stops it earlier.
 */
export function watchBodyIdle(res: IncomingMessage, idleMs: number, onIdle: () => void): () => void {
  const every = Math.max(5, Math.min(1000, Math.floor(idleMs / 4)));
  let seen = res.socket?.bytesRead ?? 0;
  let since = Date.now();
  const timer = setInterval(() => {
    const read = res.socket?.bytesRead ?? seen;
    if (read !== seen || res.readableLength > 0) {
      seen = read;
      since = Date.now();
      return;
    }
    if (Date.now() - since >= idleMs) {
      stop();
      onIdle();
    }
  }, every);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    res.off("end", stop);
    res.off("close", stop);
    res.off("error", stop);
  };
  res.on("end", stop);
  res.on("close", stop);
  res.on("error", stop);
  return stop;
}
