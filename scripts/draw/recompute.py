"""An independent recomputation of Tombola's draws, in Python, for anyone checking by hand
(the protocol: domain/src/draw.rs). Needs the `cryptography` package for ChaCha20.

    python3 recompute.py SEED_HEX ENTRIES_TXT WINNERS [PROTOCOL [BEACON_SIGNATURE_HEX]]

prints R and the first WINNERS picks (entry numbers), as if no pick were skipped. Protocol
3 (bound to a drand round) needs the round's signature, as `beacon.signature` in draw.json:
R = SHA-256(S || E || signature). Checking that signature against drand's public key is
a separate step (docs/fairness.md). The
protocol's unit tests pin values this script reproduces (domain/src/draw.rs and
domain/src/draw/weighted.rs).

ChaCha20 as rand_chacha's ChaCha20Rng uses it: key R, 64-bit block counter from 0,
stream 0 — for the first 2^32 blocks the same keystream as RFC 7539 with a zero nonce.
next_u64 is 8 keystream bytes, little-endian.
"""

import hashlib
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms


class Stream:
    def __init__(self, r: bytes):
        self.enc = Cipher(algorithms.ChaCha20(r, bytes(16)), mode=None).encryptor()

    def u64(self) -> int:
        return int.from_bytes(self.enc.update(bytes(8)), "little")

    def below(self, bound: int) -> int:
        """Uniform in 0..bound by rejection (no modulo bias)."""
        m = 2**64 - 1
        zone = m - (m % bound + 1) % bound
        while True:
            x = self.u64()
            if x <= zone:
                return x % bound


def picks_v1(r: bytes, n: int, k: int) -> list:
    """Partial Fisher-Yates over 1..n."""
    s, a, out = Stream(r), list(range(1, n + 1)), []
    for i in range(min(k, n)):
        j = i + s.below(n - i)
        a[i], a[j] = a[j], a[i]
        out.append(a[i])
    return out


def picks_v2(r: bytes, tickets: list, k: int) -> list:
    """Ticket-weighted, without replacement: entries laid out by number."""
    s, left, out = Stream(r), list(range(len(tickets))), []
    while left and len(out) < k:
        x = s.below(sum(tickets[i] for i in left))
        acc = 0
        for i in left:
            acc += tickets[i]
            if x < acc:
                out.append(i + 1)
                left.remove(i)
                break
    return out


def main():
    seed, path, k = bytes.fromhex(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    protocol = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    text = open(path, "rb").read()
    beacon = bytes.fromhex(sys.argv[5]) if protocol == 3 else b""
    if protocol == 3 and not beacon:
        sys.exit("protocol 3 needs the beacon round's signature")
    r = hashlib.sha256(seed + hashlib.sha256(text).digest() + beacon).digest()
    lines = text.decode().splitlines()
    print("R", r.hex())
    if protocol == 1:
        print("picks", picks_v1(r, len(lines), k))
    else:
        print("picks", picks_v2(r, [int(l.rsplit(" ", 1)[1]) for l in lines], k))


if __name__ == "__main__":
    main()
