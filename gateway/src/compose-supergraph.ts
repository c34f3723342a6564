import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { supergraphConfigPath } from './supergraph.js';

// A build step (`npm run compose`, the staleness test): the running gateway never imports this.

interface SupergraphConfig {
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

/** Composes supergraph.yaml's subgraphs; throws with every composition error listed. */
export function composeSupergraph(configPath = supergraphConfigPath): string {
  const config = parseYaml(readFileSync(configPath, 'utf8')) as SupergraphConfig;
  const services = Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    typeDefs: parse(readFileSync(resolve(dirname(configPath), subgraph.schema.file), 'utf8')),
  }));
  const result = composeServices(services);
  if (result.errors?.length) throw new Error(`Composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  return result.supergraphSdl!;
}
