/**
 * The containers and `npm run start:<service>` start each service as `npm start` does with
 * external servers (scripts/service-processes.ts): the same Node flags, the same entry point.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICE_GROUPS, SERVICE_NODE_FLAGS, serviceEntryPoint } from '../scripts/service-processes.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const commandOf = (name: string) => ['node', ...SERVICE_NODE_FLAGS, '--import', 'tsx', serviceEntryPoint(name)];

describe('service commands', () => {
  it("docker-compose.yml runs every service with npm start's Node flags and entry point", () => {
    const { services } = parse(read('docker-compose.yml')) as { services: Record<string, { command?: string[] }> };
    for (const name of SERVICE_GROUPS.flat()) expect(services[name]?.command, name).toEqual(commandOf(name));
  });

  it("the image's default command is the gateway's, with the same flags", () => {
    const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'))?.[1];
    expect(JSON.parse(cmd ?? 'null')).toEqual(commandOf('gateway'));
  });

  it('npm run start:<service> runs the same', () => {
    const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    for (const name of SERVICE_GROUPS.flat())
      expect(scripts[`start:${name}`], name).toBe(['tsx', ...SERVICE_NODE_FLAGS, serviceEntryPoint(name)].join(' '));
  });

  it('the flags are ones this Node accepts', async () => {
    const { spawnSync } = await import('node:child_process');
    const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('ok');
  });
});
