// Turns zod issues into one short sentence a user (or a developer reading a toast) can act on:
// "stride must be at most 120; unknown field foo". Pure, tested beside.

import type { z } from 'zod';

type Issue = z.core.$ZodIssue;

function where(issue: Issue): string {
  return issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[') : 'request';
}

function bound(origin: unknown, n: unknown, word: 'least' | 'most', inclusive: unknown): string {
  const num = typeof n === 'bigint' ? n.toString() : String(n);
  if (origin === 'string') return `must be at ${word} ${num} characters long`;
  if (origin === 'array' || origin === 'set') return `must have at ${word} ${num} items`;
  if (inclusive === false) return `must be ${word === 'least' ? 'greater' : 'less'} than ${num}`;
  return `must be at ${word} ${num}`;
}

export function describeIssue(issue: Issue): string {
  const at = where(issue);
  switch (issue.code) {
    case 'too_big':
      return `${at} ${bound(issue.origin, issue.maximum, 'most', issue.inclusive)}`;
    case 'too_small':
      return `${at} ${bound(issue.origin, issue.minimum, 'least', issue.inclusive)}`;
    case 'invalid_type':
      if (issue.expected === 'void' || issue.expected === 'undefined') return `${at} must be empty (this channel takes no request)`;
      if (issue.expected === 'int') return `${at} must be a whole number`;
      return `${at} must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'invalid_value':
      return `${at} must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}${issue.path.length ? ` in ${at}` : ''}`;
    case 'invalid_format':
      // Custom messages (the episode id pattern) are already sentences.
      return issue.message.startsWith('Invalid') ? `${at} has the wrong format` : issue.message;
    case 'invalid_union':
      return `${at} is not valid${'options' in issue && Array.isArray(issue.options) ? ` (expected one of ${issue.options.join(', ')})` : ''}`;
    case 'not_multiple_of':
      return `${at} must be a multiple of ${String(issue.divisor)}`;
    default:
      return `${at}: ${issue.message}`;
  }
}

export function describeIssues(issues: readonly Issue[], max = 3): string {
  const parts = issues.slice(0, max).map(describeIssue);
  if (issues.length > max) parts.push(`and ${issues.length - max} more`);
  return parts.join('; ');
}
