import { openSync } from 'node:fs';
import { Socket } from 'node:net';

/**
 * Reads a FIFO without ever blocking a thread: opened read-write, so the open does not wait for a
 * writer and the reader does not see EOF between writers; the data arrives through the event loop.
 */
export function fifoReader(path: string): { socket: Socket; text: () => string } {
  const socket = new Socket({ fd: openSync(path, 'r+'), readable: true, writable: false });
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString()));
  return { socket, text: () => text };
}
