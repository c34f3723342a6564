import { readFileSync } from 'node:fs';

/** The platform's version, from the root package.json (one version for every service). */
export const version: string = (() => {
  try {
    return JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')).version;
  } catch {
    return '0.0.0';
  }
})();
