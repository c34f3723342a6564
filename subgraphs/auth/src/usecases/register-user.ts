import { Subjects } from '@app/events';
import { ConflictError, parseInput, writeOutbox } from '@app/platform';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { passwordCost } from '../config.js';
import type { AuthDeps } from '../deps.js';
import { User } from '../entities/index.js';
import { hashPassword } from '../passwords.js';

export const usernameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9._-]{3,32}$/, "Username must be 3-32 characters: letters, digits, '.', '_' or '-'");

const registerInput = z
  .object({
    username: usernameSchema,
    email: z
      .string()
      .trim()
      .max(254, 'Email is too long')
      .pipe(z.email('Email address is invalid'))
      .transform((e) => e.toLowerCase()),
    password: z
      .string()
      .min(10, 'Password must be at least 10 characters')
      .max(128, 'Password must be at most 128 characters')
      .regex(/\p{L}/u, 'Password must contain a letter')
      .regex(/\p{N}/u, 'Password must contain a digit'),
  })
  .superRefine((input, ctx) => {
    const lower = input.password.toLowerCase();
    if (lower.includes(input.username.toLowerCase()) || lower === input.email) {
      ctx.addIssue({ code: 'custom', path: ['password'], message: 'Password must not contain the username or email' });
    }
  });

export async function registerUser(deps: AuthDeps, rawInput: unknown): Promise<User> {
  const input = parseInput(registerInput, rawInput);
  const em = deps.em.fork();
  const usernameKey = input.username.toLowerCase();

  const taken = await em.findOne(User, { $or: [{ usernameKey }, { email: input.email }] });
  if (taken) throw conflictFor(taken.usernameKey === usernameKey ? 'username' : 'email');

  const user = em.create(User, {
    username: input.username,
    usernameKey,
    email: input.email,
    passwordHash: await hashPassword(input.password, passwordCost(deps.config)),
    scopes: 'user',
  });
  // The account and `auth.user.registered` commit together (one flush): the users service hears of
  // every account, once the relay can reach the bus (see OutboxRelay), and of no account that failed.
  writeOutbox(
    em,
    Subjects.AuthUserRegistered,
    { userId: user.id, username: user.username, email: input.email, occurredAt: user.createdAt.toISOString() },
    { msgId: `registered:${user.id}` },
  );
  try {
    await em.flush();
  } catch (err) {
    // Two registrations racing for the same name: the database's unique index decides.
    if (err instanceof UniqueConstraintViolationException) throw conflictFor(/email/.test(err.message) ? 'email' : 'username');
    throw err;
  }
  deps.nudgeOutbox();
  return user;
}

function conflictFor(field: 'username' | 'email') {
  return new ConflictError(field === 'username' ? 'Username is already taken' : 'Email is already registered', field);
}
