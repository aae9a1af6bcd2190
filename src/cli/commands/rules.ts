/** `portguard rules` and `portguard explain RULE`: flags only; the actions load ../rules-command.ts. */
import { type Command, Option } from 'commander';
import type { CommandContext } from './index.js';

export const RULES_OUTPUTS = ['text', 'json'] as const;
export type RulesOutput = (typeof RULES_OUTPUTS)[number];

export function declareRules(program: Command, ctx: CommandContext): void {
  program
    .command('rules')
    .description('List every rule with its severity and a one-line summary')
    .addOption(new Option('-o, --output <format>', 'output format').choices(RULES_OUTPUTS).default('text'))
    .action(async (flags: { output: RulesOutput }) => {
      const { runRules } = await import('../rules-command.js');
      ctx.exit(runRules(flags.output, ctx));
    });
}

export function declareExplain(program: Command, ctx: CommandContext): void {
  program
    .command('explain')
    .description('Explain a rule: what it checks, why it matters, how to fix it, an example')
    .argument('<rule>', 'rule id, as `portguard rules` lists them')
    .action(async (rule: string) => {
      const { runExplain } = await import('../rules-command.js');
      ctx.exit(runExplain(rule, ctx));
    });
}
