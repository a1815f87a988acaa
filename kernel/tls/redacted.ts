// Holders of secrets print as their class name only: toString, JSON and util.inspect all redact,
// so a stray log line or an error dump never carries key material.
import { inspect } from 'node:util';

/** Base of objects that hold secrets: every way of printing them prints only the class name. */
export abstract class Redacted {
  toString(): string {
    return `${this.constructor.name}([redacted])`;
  }
  toJSON(): string {
    return this.toString();
  }
  [inspect.custom](): string {
    return this.toString();
  }
}
