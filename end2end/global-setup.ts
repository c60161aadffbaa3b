import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { OPERATOR_EMAIL, PASSWORD } from './tests/helpers';

/** Creates the platform operator through the real admin CLI, before any spec signs up. */
export default async function globalSetup() {
  const out = execFileSync(process.env.TOMBOLA_E2E_BIN!, ['admin', 'create', '--email', OPERATOR_EMAIL, '--company', 'Tombola Ops'], {
    cwd: path.resolve(__dirname, '..'),
    env: { ...process.env, TOMBOLA_DATABASE_URL: process.env.TOMBOLA_E2E_DATABASE_URL, TOMBOLA_ADMIN_PASSWORD: PASSWORD, TOMBOLA_LOG: 'warn' },
  }).toString();
  if (!out.includes('operator account created')) throw new Error(`admin create said: ${out}`);
}
