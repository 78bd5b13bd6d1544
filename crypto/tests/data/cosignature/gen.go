//! Generator of the derived cosignature/v1 known-answer vectors in this folder
//! (keys.txt, checkpoint.note, checkpoint.w1-message, checkpoint-extensions.note,
//! witnessed.tlog-proof), written for Shoal from the
//! C2SP specs and run with Go 1.19 (crypto/ed25519, crypto/sha256) and
//! golang.org/x/mod v0.7.0 (sumdb/note for the signed-note framing and the log
//! signature, sumdb/tlog for the RFC 6962 tree and inclusion proof), both from
//! Debian bookworm (golang-go, golang-golang-x-mod-dev). It shares no code with
//! the Rust implementation it checks.
//!
//!	GO111MODULE=off GOPATH=/usr/share/gocode go run gen.go
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// seed returns SHA-256(label): fixed, documented key seeds.
func seed(label string) []byte {
	s := sha256.Sum256([]byte(label))
	return s[:]
}

// cosigner is a note.Signer and note.Verifier for c2sp.org/tlog-cosignature
// Ed25519 cosignatures (signature type 0x04) at a fixed timestamp.
type cosigner struct {
	name string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	time uint64
}

func newCosigner(name string, s []byte, t uint64) *cosigner {
	priv := ed25519.NewKeyFromSeed(s)
	return &cosigner{name: name, priv: priv, pub: priv.Public().(ed25519.PublicKey), time: t}
}

func (c *cosigner) Name() string { return c.name }

func (c *cosigner) KeyHash() uint32 {
	h := sha256.New()
	h.Write([]byte(c.name))
	h.Write([]byte{'\n', 0x04})
	h.Write(c.pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func (c *cosigner) vkey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.KeyHash(),
		base64.StdEncoding.EncodeToString(append([]byte{0x04}, c.pub...)))
}

func message(t uint64, text []byte) []byte {
	return append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), text...)
}

func (c *cosigner) Sign(text []byte) ([]byte, error) {
	sig := binary.BigEndian.AppendUint64(nil, c.time)
	return append(sig, ed25519.Sign(c.priv, message(c.time, text))...), nil
}

func (c *cosigner) Verifier() note.Verifier { return c }

func (c *cosigner) Verify(text, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	return t < 1<<63 && ed25519.Verify(c.pub, message(t, text), sig[8:])
}

// logSigner makes an x/mod note signer (type 0x01) from a seed.
func logSigner(name string, s []byte) (note.Signer, note.Verifier, string) {
	skey, vkey, err := note.GenerateKey(bytes.NewReader(s), name)
	check(err)
	signer, err := note.NewSigner(skey)
	check(err)
	verifier, err := note.NewVerifier(vkey)
	check(err)
	return signer, verifier, vkey
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}

func main() {
	const origin = "example.com/behind-the-sofa"
	const ts = 1679315147 // the timestamp of the tlog-cosignature spec's example
	logSeed := seed("shoal cosignature KAT: log")
	w1Seed := seed("shoal cosignature KAT: witness 1")
	w2Seed := seed("shoal cosignature KAT: witness 2")
	logS, logV, logVkey := logSigner(origin, logSeed)
	w1 := newCosigner("witness.example.com/w1", w1Seed, ts)
	w2 := newCosigner("witness.example.com/w2", w2Seed, ts+60)

	var out strings.Builder
	out.WriteString("# Derived cosignature/v1 vectors: written by gen.go (Go crypto/ed25519 and\n")
	out.WriteString("# golang.org/x/mod v0.7.0 sumdb/note); see README.md. Seeds are SHA-256 of a label.\n")
	p := func(k, v string) { fmt.Fprintf(&out, "%s %s\n", k, v) }
	p("log-seed", hex.EncodeToString(logSeed))
	p("log-vkey", logVkey)
	for i, w := range []*cosigner{w1, w2} {
		p(fmt.Sprintf("w%d-seed", i+1), hex.EncodeToString([]byte(w.priv.Seed())))
		p(fmt.Sprintf("w%d-vkey", i+1), w.vkey())
		p(fmt.Sprintf("w%d-time", i+1), fmt.Sprint(w.time))
	}

	// 1. The spec example's checkpoint body, signed by the log and cosigned by both witnesses.
	body := origin + "\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	signed, err := note.Sign(&note.Note{Text: body}, logS, w1, w2)
	check(err)
	_, err = note.Open(signed, note.VerifierList(logV, w1, w2))
	check(err)
	check(os.WriteFile("checkpoint.w1-message", message(ts, []byte(body)), 0o644))
	check(os.WriteFile("checkpoint.note", signed, 0o644))

	// 2. A checkpoint with extension lines: the cosignature covers them.
	ext := origin + "\n20852164\nrIXqIfo5wcYPVBVqTBpqhjT1Q3TBPAYNCQO0vnCfJ4g=\nextension one\nextension two\n"
	signedExt, err := note.Sign(&note.Note{Text: ext}, logS, w1)
	check(err)
	_, err = note.Open(signedExt, note.VerifierList(logV, w1))
	check(err)
	check(os.WriteFile("checkpoint-extensions.note", signedExt, 0o644))
	p("tlog-proof-entry", base64.StdEncoding.EncodeToString([]byte("shoal entry 5\n")))
	check(os.WriteFile("keys.txt", []byte(out.String()), 0o644))

	// 3. A tlog-proof of entry 5 of 7 under a cosigned checkpoint.
	const n, index = 7, 5
	var hashes []tlog.Hash
	for i := int64(0); i < n; i++ {
		hs, err := tlog.StoredHashes(i, []byte(fmt.Sprintf("shoal entry %d\n", i)), tlog.HashReaderFunc(
			func(idx []int64) ([]tlog.Hash, error) {
				r := make([]tlog.Hash, len(idx))
				for j, x := range idx {
					r[j] = hashes[x]
				}
				return r, nil
			}))
		check(err)
		hashes = append(hashes, hs...)
	}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		r := make([]tlog.Hash, len(idx))
		for j, x := range idx {
			r[j] = hashes[x]
		}
		return r, nil
	})
	root, err := tlog.TreeHash(n, reader)
	check(err)
	proof, err := tlog.ProveRecord(n, index, reader)
	check(err)
	check(tlog.CheckRecord(proof, n, root, index, tlog.RecordHash([]byte(fmt.Sprintf("shoal entry %d\n", index)))))
	cp := fmt.Sprintf("%s\n%d\n%s\n", origin, n, base64.StdEncoding.EncodeToString(root[:]))
	signedCp, err := note.Sign(&note.Note{Text: cp}, logS, w1, w2)
	check(err)
	var tp strings.Builder
	fmt.Fprintf(&tp, "c2sp.org/tlog-proof@v1\nextra %s\nindex %d\n",
		base64.StdEncoding.EncodeToString([]byte("shoal KAT")), index)
	for _, h := range proof {
		fmt.Fprintf(&tp, "%s\n", base64.StdEncoding.EncodeToString(h[:]))
	}
	tp.WriteString("\n")
	tp.Write(signedCp)
	check(os.WriteFile("witnessed.tlog-proof", []byte(tp.String()), 0o644))
}
