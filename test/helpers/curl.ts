// curl, the program, driven as users drive it: `-T` (a streamed PUT) or
// `--data-binary`, with -v to see the 100, and its own count of the bytes it
// uploaded. Shared by the curl and the TLS interop tests.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { findProgram, h2BodySent, H2_HEAD_ONLY_BOUND, MiB, runProgram, S3, TOKEN, type CaseFacts, type UploadServer } from './interop'

/** The curl program, if installed. */
export const curl = findProgram('curl')

export interface CurlResult {
  status: number
  /** curl's own count of the body bytes it uploaded (`%{size_upload}`). */
  uploaded: number
  /** curl -v showed an informational 100. */
  continued: boolean
  body: string
  /** curl's error number when it failed (exit code), e.g. '92'. */
  error: string | undefined
}

/** Runs curl with -v, returning what it reported (a curl error becomes status 0 and `error`). */
export async function runCurl (args: readonly string[]): Promise<CurlResult> {
  const run = await runProgram(curl as string, ['-sS', '-v', ...args, '-w', '\n%{http_code} %{size_upload}'], { timeoutMs: 60_000 })
  const lines = run.stdout.split('\n')
  const [status, uploaded] = (lines.pop() as string).split(' ').map(Number)
  return {
    status: status as number,
    uploaded: uploaded as number,
    continued: /^< HTTP\/[\d.]+ 100\b/m.test(run.stderr),
    body: lines.join('\n'),
    error: run.code === 0 ? undefined : (/curl: \((\d+)\)/.exec(run.stderr)?.[1] ?? String(run.code))
  }
}

export interface Upload {
  label: string
  /** Path on the app; /s3/... routes are signed with curl's own --aws-sigv4. */
  path: string
  bytes: number
  type: string
  authorized: boolean
  answered: number
}

/** How curl is told to upload: `-T` streams a file (PUT); `--data-binary` sends a body it holds (here with PUT too). */
export type Mode = '-T' | '--data-binary'

export async function curlUpload (server: UploadServer, dir: string, u: Upload, mode: Mode, extra: readonly string[] = []) {
  const file = join(dir, `${u.bytes}.bin`)
  writeFileSync(file, Buffer.alloc(u.bytes, 7))
  const auth = !u.authorized
    ? []
    : u.path.startsWith('/s3/')
      ? ['--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${S3.accessKeyId}:dummy-secret`]
      : ['-H', `authorization: ${TOKEN}`]
  const body = mode === '-T' ? ['-T', file] : ['--data-binary', `@${file}`, '-X', 'PUT']
  return server.observe(() => runCurl([...extra, ...body, '-H', `content-type: ${u.type}`, ...auth, `${server.origin}${u.path}`]))
}

export const accepted: Upload = { label: 'accepted (3 MiB)', path: '/s3/uploads/photos/cat.png', bytes: 3 * MiB, type: 'image/png', authorized: true, answered: 200 }
export const unauthorized: Upload = { label: 'unauthorized (no token)', path: '/files/cat.png', bytes: 3 * MiB, type: 'image/png', authorized: false, answered: 401 }
export const cases: Upload[] = [
  accepted,
  { label: 'too large (9 MiB > 8 MiB)', path: '/s3/uploads/photos/big.png', bytes: 9 * MiB, type: 'image/png', authorized: true, answered: 413 },
  { label: 'wrong type (text/csv)', path: '/files/report.csv', bytes: 3 * MiB, type: 'text/csv', authorized: true, answered: 415 },
  unauthorized,
  { label: 'not found', path: '/nowhere', bytes: 3 * MiB, type: 'image/png', authorized: true, answered: 404 }
]

/** `curl 7.88.1`, from `curl --version`. */
export async function curlVersion (): Promise<string> {
  const run = await runProgram(curl as string, ['--version'], { timeoutMs: 10_000 })
  return run.stdout.split(' ').slice(0, 2).join(' ')
}

/**
 * curl 7.88 over HTTP/2 now and then discards an answer that the server follows
 * with RST_STREAM(NO_ERROR), and fails with error 52 or 92 instead (RFC 9113 §8.1
 * says clients MUST NOT): the server's side of each exchange is asserted, and
 * what curl reported is recorded, not asserted.
 */
export const lostAnswer = (r: CurlResult): boolean => r.status === 0 && (r.error === '52' || r.error === '92')

/**
 * curl over HTTP/2 told to send Expect (`--data-binary`): it waits, and a refused
 * upload sends no DATA. Shared by the cleartext and the TLS tests.
 */
export async function checkWaitsWithExpect (t: Test, server: UploadServer, dir: string, args: readonly string[], facts: CaseFacts[]): Promise<void> {
  for (const c of cases) {
    const { result, requests, bytesRead } = await curlUpload(server, dir, c, '--data-binary', [...args, '-H', 'expect: 100-continue'])
    t.equal(requests[0]?.expect, '100-continue', c.label)
    t.equal(requests[0]?.status, c.answered, `${c.label}: the server answered ${c.answered}`)
    if (c.answered < 300) {
      t.ok(result.continued, `${c.label}: 100 first`)
      t.equal(result.uploaded, c.bytes)
      t.ok(bytesRead > c.bytes, `${c.label}: the server read the body`)
      t.equal(result.status, c.answered, `${c.label}: curl reports ${c.answered}`)
    } else {
      t.notOk(result.continued, `${c.label}: no 100`)
      t.equal(result.uploaded, 0, `${c.label}: curl uploaded nothing`)
      t.ok(bytesRead < H2_HEAD_ONLY_BOUND, `${c.label}: the server read ${bytesRead} bytes, no DATA`)
    }
    facts.push({ case: `${c.label}, with the header`, answered: c.answered, reported: lostAnswer(result) ? `error ${result.error}` : String(result.status), expectSent: true, continueSeen: result.continued, body: h2BodySent(bytesRead, c.bytes) })
  }
}
