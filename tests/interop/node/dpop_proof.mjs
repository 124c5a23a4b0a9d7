// A DPoP proof (RFC 9449) made by panva's jose: a fresh key pair of the given
// algorithm, SignJWT with the dpop+jwt type and the public jwk in the header.
// Prints {"proof": ..., "jkt": ...} as one line of JSON.
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

const [alg, htm, htu, ath] = process.argv.slice(2);
const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
const jwk = await exportJWK(publicKey);
const claims = { htm, htu, jti: crypto.randomUUID() };
if (ath) claims.ath = ath;
const proof = await new SignJWT(claims)
  .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
  .setIssuedAt()
  .sign(privateKey);
console.log(JSON.stringify({ proof, jkt: await calculateJwkThumbprint(jwk) }));
