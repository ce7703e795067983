/**
 * The client's logger, driven by `[LOGGER]`: `logsw` picks categories, `logPath` the directory.
 * One file per day, `cacipher-YYYYMMDD.log`, appended synchronously so a crash loses no line
 * (the client logs per connection event and per failure, not per byte, so the cost is small).
 * Everything passes through redaction first.
 */
import { appendFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LogCategory, LoggerConfig } from '../config/types.ts';
import { redactFields, redactText, type LogValue } from './redact.ts';

export interface LogRecord {
  time: string;
  category: LogCategory;
  event: string;
  fields: Record<string, LogValue>;
}

/** A sink receives each record after redaction (tests and the harness use it; the file is another). */
export type LogSink = (record: LogRecord, line: string) => void;

export class EvsmLogger {
  private readonly categories: Set<LogCategory>;
  private readonly dir: string | undefined;
  private readonly sinks: LogSink[] = [];

  constructor(config: LoggerConfig, options: { baseDir?: string; sink?: LogSink } = {}) {
    this.categories = new Set(config.categories);
    this.dir = config.logPath === undefined ? undefined : resolve(options.baseDir ?? process.cwd(), config.logPath);
    if (options.sink) this.sinks.push(options.sink);
  }

  /** The file today's lines go to, or undefined when no logPath is set. */
  get filePath(): string | undefined {
    if (!this.dir) return undefined;
    const d = new Date();
    const stamp = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
    return join(this.dir, `cacipher-${stamp}.log`);
  }

  enabled(category: LogCategory): boolean {
    return this.categories.has(category);
  }

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  error(event: string, fields: Record<string, LogValue> = {}): void {
    this.write('error', event, fields);
  }
  warn(event: string, fields: Record<string, LogValue> = {}): void {
    this.write('warn', event, fields);
  }
  info(event: string, fields: Record<string, LogValue> = {}): void {
    this.write('info', event, fields);
  }
  debug(event: string, fields: Record<string, LogValue> = {}): void {
    this.write('debug', event, fields);
  }

  private write(category: LogCategory, event: string, fields: Record<string, LogValue>): void {
    if (!this.categories.has(category)) return;
    const record: LogRecord = {
      time: new Date().toISOString(),
      category,
      event: redactText(event),
      fields: redactFields(fields),
    };
    const tail = Object.entries(record.fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    const line = `${record.time} ${category.toUpperCase()} ${record.event}${tail ? ` ${tail}` : ''}\n`;
    const file = this.filePath;
    if (file) {
      try {
        appendFileSync(file, line);
      } catch {
        // A full disk must not take the payment path down with it; the sinks still get the line.
      }
    }
    for (const sink of this.sinks) sink(record, line);
  }
}
