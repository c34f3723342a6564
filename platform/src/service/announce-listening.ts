/** The message a service process sends its parent once it listens (`announceListening`). */
export const SERVICE_LISTENING = 'app.service.listening';

export interface ServiceListeningMessage {
  type: typeof SERVICE_LISTENING;
  name: string;
  port: number;
}

/**
 * Tells the process that spawned this service with an IPC channel (the platform's
 * one-process-per-service mode, scripts/service-processes.ts) the port it listens on: a service
 * started on port 0 binds one the kernel picks, so no other process can take it between the
 * choice and the bind, and the parent learns it from the service itself rather than from
 * whichever process answers there. Without a channel (a container, `npm run start:<service>`)
 * it does nothing. The channel never keeps the process alive.
 */
export function announceListening(name: string, port: number): void {
  if (!process.send || !process.connected) return;
  const message: ServiceListeningMessage = { type: SERVICE_LISTENING, name, port };
  process.send(message, undefined, {}, () => process.channel?.unref());
}

export function isServiceListening(message: unknown): message is ServiceListeningMessage {
  const m = message as Partial<ServiceListeningMessage> | null;
  return m?.type === SERVICE_LISTENING && typeof m.port === 'number' && typeof m.name === 'string';
}
