import type { Command } from 'commander';
import type { NotifyClient } from '@app/client';

/** The app client for one invocation, from its flags and the environment (cli.ts). */
export type ClientFor = (command: Command) => { client: NotifyClient; json: boolean };

/** A repeatable option's values, in the order given. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
