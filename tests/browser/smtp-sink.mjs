// A local SMTP sink for the browser tests: a small node server that speaks enough SMTP for
// pbvote to hand it mail (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no STARTTLS), and
// keeps each message. run.sh gives the server PBVOTE_SMTP_URL pointing at
// PBVOTE_SMTP_SINK_PORT; a test starts the sink there.
import net from 'node:net';

export function startSink(port) {
  const mails = [];
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let data = null;
    let from = '';
    let to = [];
    socket.write('220 sink.test ESMTP test sink\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (data !== null) {
          if (line === '.') {
            mails.push({ from, to, data: data.join('\r\n') });
            data = null;
            to = [];
            socket.write('250 OK: queued\r\n');
          } else data.push(line.startsWith('.') ? line.slice(1) : line);
          continue;
        }
        const upper = line.toUpperCase();
        const address = () => (line.split(':').slice(1).join(':').match(/<([^>]*)>/) || [, ''])[1];
        if (upper.startsWith('EHLO')) socket.write('250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n');
        else if (upper.startsWith('HELO')) socket.write('250 sink.test\r\n');
        else if (upper.startsWith('MAIL FROM:')) { from = address(); to = []; socket.write('250 OK\r\n'); }
        else if (upper.startsWith('RCPT TO:')) { to.push(address()); socket.write('250 OK\r\n'); }
        else if (upper === 'DATA') { data = []; socket.write('354 go ahead\r\n'); }
        else if (upper === 'RSET' || upper === 'NOOP') socket.write('250 OK\r\n');
        else if (upper === 'QUIT') { socket.end('221 bye\r\n'); }
        else socket.write('502 not implemented\r\n');
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({
      mails,
      close: () => new Promise((done) => server.close(() => done())),
    }));
  });
}

/** A message's body, with quoted-printable undone when it uses it. */
export function bodyOf(mail) {
  const split = mail.data.indexOf('\r\n\r\n');
  const headers = mail.data.slice(0, split).toLowerCase();
  let body = mail.data.slice(split + 4);
  if (headers.includes('content-transfer-encoding: quoted-printable')) {
    body = body.replace(/=\r\n/g, '');
    body = Buffer.from(body.replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
  }
  return body;
}

/** The voter code in a message (XXXX-XXXX-XXXX). */
export function codeIn(mail) {
  const m = bodyOf(mail).match(/\b[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}\b/);
  return m ? m[0] : null;
}
