// Files the server sends (the statement as CSV or Excel): the name its Content-Disposition gives, and
// saving a Blob under that name through an object URL (the browser's own download), so a download
// never needs a URL opened without the session's bearer token.

/** Drops what a file name cannot hold: path separators, control characters, quotes; trims dots and spaces. */
export function safeFilename(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/^[\s.]+|[\s.]+$/g, '')
  return cleaned.slice(0, 200)
}

function decodeExtValue(v: string): string | null {
  // RFC 5987: charset'language'percent-encoded
  const m = /^([\w!#$%&+^`{}~-]*)'[\w-]*'(.*)$/.exec(v.trim())
  if (!m) return null
  const charset = m[1].toLowerCase()
  try {
    if (charset === 'utf-8' || charset === '') return decodeURIComponent(m[2])
    // iso-8859-1: each %XX is one character
    return m[2].replace(/%([0-9a-f]{2})/gi, (_s, h: string) => String.fromCharCode(parseInt(h, 16)))
  } catch {
    return null
  }
}

/**
 * The file name of a Content-Disposition header: `filename*` (RFC 5987, e.g. UTF-8''%E4%BA%A4.csv)
 * first, then `filename` (quoted or bare), made safe; `fallback` when the header names none.
 */
export function filenameFromDisposition(header: string | null | undefined, fallback: string): string {
  if (!header) return fallback
  let plain: string | null = null
  let extended: string | null = null
  // parameters after the type; a quoted value may hold ; and escaped quotes
  const re = /;\s*([\w*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g
  let m: RegExpExecArray | null
  while ((m = re.exec(header))) {
    const key = m[1].toLowerCase()
    let value = m[2].trim()
    if (value.startsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1')
    if (key === 'filename*') extended = decodeExtValue(value) ?? extended
    else if (key === 'filename') plain = value
  }
  const name = safeFilename(extended ?? plain ?? '')
  return name || fallback
}

/** Saves a Blob as a download named `filename` (an object URL on a hidden link, freed afterwards). */
export function saveBlob(blob: Blob, filename: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob)
  const a = doc.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  a.style.display = 'none'
  doc.body.appendChild(a)
  try {
    a.click()
  } finally {
    a.remove()
    // the browser has read the Blob by the time the download starts; free it a little later
    setTimeout(() => URL.revokeObjectURL(url), 30_000)
  }
}
