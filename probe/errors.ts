// Socket errors (DNS, TCP, TLS) turned into one line a person can act on.

export interface ProbeError {
  /** Node's error code (ENOTFOUND, ECONNREFUSED, DEPTH_ZERO_SELF_SIGNED_CERT...) or the probe's own. */
  code: string
  message: string
}

/** The URL's port, or the scheme's default. */
export function portOf (url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
}

/** The TLS alert a server sends when it takes none of the client's ALPN protocols. */
export const NO_APPLICATION_PROTOCOL = 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL'
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|CERT_|HOSTNAME_MISMATCH)/

export function describeSocketError (error: Error & { code?: string, reason?: string }, url: URL, afterHeadMs?: number): ProbeError {
  const code = error.code ?? 'ERROR'
  const where = `${url.hostname}:${portOf(url)}`
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return { code, message: `could not resolve host "${url.hostname}" (${code})` }
    case 'ECONNREFUSED':
      return { code, message: `connection refused by ${where}: nothing listens there` }
    case 'ECONNRESET':
    case 'EPIPE':
      return {
        code,
        message: afterHeadMs === undefined
          ? `the connection to ${where} was reset while it was being set up (${code})`
          : `the server reset the connection ${afterHeadMs} ms after the head, without an answer (${code})`
      }
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return { code, message: `${where} cannot be reached (${code})` }
  }
  if (code === NO_APPLICATION_PROTOCOL) {
    // The probe offers only http/1.1 over ALPN: a server that refuses it speaks something else, in practice HTTP/2 only.
    return {
      code,
      message: `TLS handshake with ${where} failed: the server accepts none of the protocols the probe offers over ALPN ` +
        '(http/1.1): it speaks only HTTP/2 (or another protocol), and this probe speaks HTTP/1.1'
    }
  }
  if (TLS_CODE.test(code)) {
    const hint = /CERT|SIGNED|VERIFY|HOSTNAME|ALTNAME/.test(code) ? ' (use --insecure to skip certificate verification)' : url.protocol === 'https:' ? ' (does this port speak TLS? try http://)' : ''
    return { code, message: `TLS handshake with ${where} failed: ${error.reason ?? error.message}${hint}` }
  }
  return { code, message: `connection to ${where} failed: ${error.message}` }
}
