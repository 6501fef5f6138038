/**
 * Environment parsing: every setting is read once, every problem is collected, and one error names each bad
 * variable and its rule. The result is frozen.
 */

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(component: string, problems: readonly string[]) {
    super(`invalid ${component} configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Collects problems while reading variables from an environment. */
export class EnvReader {
  private readonly env: NodeJS.ProcessEnv;
  readonly problems: string[] = [];

  constructor(env: NodeJS.ProcessEnv) {
    this.env = env;
  }

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  /** An integer within [min, max]. Accepts 1e9-style and 1_000 forms for convenience. */
  int(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}; got "${v}"`);
      return fallback;
    }
    return n;
  }

  /** A decimal number within [min, max], e.g. a share 0..1. */
  number(name: string, fallback: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      this.problems.push(`${name} must be a number from ${min} to ${max}; got "${v}"`);
      return fallback;
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65_535);
  }

  /** A comma-separated list. */
  list(name: string): string[] {
    const v = this.raw(name);
    return v === undefined ? [] : v.split(',').map((s) => s.trim()).filter(Boolean);
  }

  done<T extends object>(component: string, value: T): Readonly<T> {
    if (this.problems.length > 0) throw new ConfigError(component, this.problems);
    return Object.freeze(value);
  }
}
