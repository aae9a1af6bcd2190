/**
 * Every command's declaration, in the order `portguard --help` lists them. A declaration
 * states a command's name, arguments and flags and nothing else: its action imports the
 * implementation (`../<name>-command.ts` and with it fastify, client-node, tree-sitter...)
 * only when the command runs, so help, `--version` and usage errors load none of it.
 */
import type { Command } from 'commander';
import type { ExitCode } from '../exit-codes.js';
import { declareAudit } from './audit.js';
import { declareCerts } from './certs.js';
import { declareCheck } from './check.js';
import { declareDev } from './dev.js';
import { declareRanges } from './ranges.js';
import { declareReportNode } from './report-node.js';
import { declareExplain, declareRules } from './rules.js';
import { declareServe } from './serve.js';

/** What an action gets from the program: where its output goes and where its exit code goes. */
export interface CommandContext {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Receives the command's exit code when its action ends. */
  exit(code: ExitCode): void;
}

/** Adds one command (or a command with its subcommands) to the program. */
export type Declare = (program: Command, ctx: CommandContext) => void;

export const DECLARATIONS: readonly Declare[] = [
  declareCheck,
  declareRules,
  declareExplain,
  declareAudit,
  declareDev,
  declareServe,
  declareCerts,
  declareReportNode,
  declareRanges,
];
