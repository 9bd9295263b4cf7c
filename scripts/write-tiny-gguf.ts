/**
 * Writes a tiny random-weight GGUF model (llama architecture) that llama.cpp loads and runs:
 * for tests and benchmarks of the in-process GGUF endpoint, never for answers (its replies are
 * garbage). Nothing is downloaded; the weights come from a seeded PRNG, so the same options
 * always write the same bytes.
 *   npx tsx scripts/write-tiny-gguf.ts [out.gguf] [--seed 1] [--layers 2] [--embd 64]
 *
 * The format (ggml's docs/gguf.md), little-endian throughout:
 *   "GGUF" magic, version 3, tensor count (u64), metadata count (u64),
 *   metadata: key (u64 length + UTF-8), value type (u32), value,
 *   tensor infos: name, dimension count (u32), dimensions (u64 each, innermost first),
 *                 ggml type (u32, 0 = F32), offset (u64) into the data section,
 *   padding to the alignment (32), then the tensor data, each tensor at an aligned offset.
 *
 * The tokenizer is GPT-2-style byte-level BPE (`tokenizer.ggml.model: gpt2`): one token per
 * byte, so any text tokenizes, a few merges that make the chat framing words (`system`, `user`,
 * `assistant`) single tokens, and three control tokens. The chat template is ChatML.
 *
 * Replies end: dimension 0 of every token embedding is 1 and the layers' output projections
 * are small, so the final hidden state keeps a steady component along it; the output row of
 * `<|im_end|>` (the end-of-generation token) reads only that dimension, with weight `eosBias`,
 * which sets how likely a reply is to end at each token whatever the random context (with the
 * default 3, replies run from a few tokens to a few hundred, about 100 on average).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface TinyGgufOptions {
  /** PRNG seed of the weights. */
  seed?: number;
  layers?: number;
  /** Hidden size (a multiple of `heads`, with an even head size). */
  embd?: number;
  heads?: number;
  kvHeads?: number;
  ff?: number;
  /** The training context the file declares (`llama.context_length`). */
  contextLength?: number;
  /** Weight of the end-of-generation row along the steady dimension (higher: shorter replies). */
  eosBias?: number;
}

/** What was written, for tests. */
export interface TinyGgufInfo {
  bytes: number;
  vocabSize: number;
  parameters: number;
  eosId: number;
  bosId: number;
}

const ALIGNMENT = 32;

// GGUF metadata value types.
const T = { U32: 4, I32: 5, F32: 6, BOOL: 7, STRING: 8, ARRAY: 9 } as const;
// ggml tensor type F32.
const GGML_F32 = 0;

const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Words whose letters are merged left to right into one token (ranks in this order). */
const MERGED_WORDS = ["system", "user", "assistant", "the", "and", "answer", "harness"];

/**
 * GPT-2's byte-to-character table: printable Latin-1 bytes stand for themselves, the others are
 * mapped, in order, to the characters from U+0100 on (so a space is "Ġ" and a newline "Ċ").
 */
function byteChars(): string[] {
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let next = 0;
  for (let b = 0; b < 256; b++) out.push(String.fromCodePoint(printable(b) ? b : 256 + next++));
  return out;
}

function vocabulary(): { tokens: string[]; types: number[]; merges: string[]; bos: number; eos: number } {
  const bytes = byteChars();
  const tokens = [...bytes];
  const types = tokens.map(() => 1); // normal
  const merges: string[] = [];
  const have = new Set(tokens);
  const add = (t: string) => {
    if (have.has(t)) return;
    have.add(t);
    tokens.push(t);
    types.push(1);
  };
  const space = bytes[0x20]!;
  for (const word of MERGED_WORDS) {
    for (const w of [word, space + word]) {
      const chars = [...w];
      let left = chars[0]!;
      for (const c of chars.slice(1)) {
        const rule = `${left} ${c}`;
        if (!merges.includes(rule)) merges.push(rule);
        left += c;
        add(left);
      }
    }
  }
  const special = (t: string) => {
    tokens.push(t);
    types.push(3); // control
    return tokens.length - 1;
  };
  const bos = special("<|endoftext|>");
  special("<|im_start|>");
  const eos = special("<|im_end|>");
  return { tokens, types, merges, bos, eos };
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  private chunks: Buffer[] = [];
  size = 0;
  private push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  bool(v: boolean): void {
    this.push(Buffer.from([v ? 1 : 0]));
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.u64(b.length);
    this.push(b);
  }
  raw(b: Buffer): void {
    this.push(b);
  }
  pad(): void {
    const n = (ALIGNMENT - (this.size % ALIGNMENT)) % ALIGNMENT;
    if (n) this.push(Buffer.alloc(n));
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

type Meta = [key: string, type: "u32" | "f32" | "bool" | "str", value: number | boolean | string] | [key: string, type: "strs", value: string[]] | [key: string, type: "i32s", value: number[]];

interface Tensor {
  name: string;
  /** Dimensions, innermost first (ggml's ne). */
  dims: number[];
  data: Float32Array;
}

/** The GGUF file's bytes. */
export function tinyGguf(opts: TinyGgufOptions = {}): { data: Buffer; info: TinyGgufInfo } {
  const layers = opts.layers ?? 2;
  const embd = opts.embd ?? 64;
  const heads = opts.heads ?? 4;
  const kvHeads = opts.kvHeads ?? 2;
  const ff = opts.ff ?? 128;
  const headDim = embd / heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) throw new Error(`embd ${embd} must be a multiple of heads ${heads} with an even head size`);
  const contextLength = opts.contextLength ?? 32768;
  const eosBias = opts.eosBias ?? 3;
  const vocab = vocabulary();
  const nVocab = vocab.tokens.length;
  const rand = prng(opts.seed ?? 1);
  const uniform = (n: number, scale: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (rand() * 2 - 1) * scale;
    return a;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);

  const tensors: Tensor[] = [];
  // Embeddings: dimension 0 is the steady one (see the header); the rest are random.
  const embed = uniform(embd * nVocab, 1.7);
  for (let t = 0; t < nVocab; t++) embed[t * embd] = 1;
  tensors.push({ name: "token_embd.weight", dims: [embd, nVocab], data: embed });
  for (let l = 0; l < layers; l++) {
    const p = `blk.${l}.`;
    const proj = 1 / Math.sqrt(embd);
    tensors.push({ name: `${p}attn_norm.weight`, dims: [embd], data: ones(embd) });
    tensors.push({ name: `${p}attn_q.weight`, dims: [embd, embd], data: uniform(embd * embd, proj * 1.7) });
    tensors.push({ name: `${p}attn_k.weight`, dims: [embd, kvHeads * headDim], data: uniform(embd * kvHeads * headDim, proj * 1.7) });
    tensors.push({ name: `${p}attn_v.weight`, dims: [embd, kvHeads * headDim], data: uniform(embd * kvHeads * headDim, proj * 1.7) });
    tensors.push({ name: `${p}attn_output.weight`, dims: [embd, embd], data: uniform(embd * embd, proj * 0.1) });
    tensors.push({ name: `${p}ffn_norm.weight`, dims: [embd], data: ones(embd) });
    tensors.push({ name: `${p}ffn_gate.weight`, dims: [embd, ff], data: uniform(embd * ff, proj * 1.7) });
    tensors.push({ name: `${p}ffn_up.weight`, dims: [embd, ff], data: uniform(embd * ff, proj * 1.7) });
    tensors.push({ name: `${p}ffn_down.weight`, dims: [ff, embd], data: uniform(ff * embd, (1 / Math.sqrt(ff)) * 0.1) });
  }
  tensors.push({ name: "output_norm.weight", dims: [embd], data: ones(embd) });
  const output = uniform(embd * nVocab, 0.35);
  for (let t = 0; t < nVocab; t++) output[t * embd] = 0; // only the end token reads the steady dimension
  output.fill(0, vocab.eos * embd, (vocab.eos + 1) * embd);
  output[vocab.eos * embd] = eosBias;
  // Control tokens other than the end are never generated.
  for (const t of [vocab.bos, vocab.eos - 1]) {
    output.fill(0, t * embd, (t + 1) * embd);
    output[t * embd] = -20;
  }
  tensors.push({ name: "output.weight", dims: [embd, nVocab], data: output });

  const meta: Meta[] = [
    ["general.architecture", "str", "llama"],
    ["general.name", "str", "tiny-random-llama"],
    ["general.file_type", "u32", 0],
    ["general.alignment", "u32", ALIGNMENT],
    ["llama.context_length", "u32", contextLength],
    ["llama.embedding_length", "u32", embd],
    ["llama.block_count", "u32", layers],
    ["llama.feed_forward_length", "u32", ff],
    ["llama.attention.head_count", "u32", heads],
    ["llama.attention.head_count_kv", "u32", kvHeads],
    ["llama.rope.dimension_count", "u32", headDim],
    ["llama.rope.freq_base", "f32", 10000],
    ["llama.attention.layer_norm_rms_epsilon", "f32", 1e-5],
    ["llama.vocab_size", "u32", nVocab],
    ["tokenizer.ggml.model", "str", "gpt2"],
    ["tokenizer.ggml.pre", "str", "default"],
    ["tokenizer.ggml.tokens", "strs", vocab.tokens],
    ["tokenizer.ggml.token_type", "i32s", vocab.types],
    ["tokenizer.ggml.merges", "strs", vocab.merges],
    ["tokenizer.ggml.bos_token_id", "u32", vocab.bos],
    ["tokenizer.ggml.eos_token_id", "u32", vocab.eos],
    ["tokenizer.ggml.padding_token_id", "u32", vocab.bos],
    ["tokenizer.ggml.add_bos_token", "bool", false],
    ["tokenizer.chat_template", "str", CHATML_TEMPLATE],
  ];

  const w = new Writer();
  w.raw(Buffer.from("GGUF", "ascii"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(meta.length);
  for (const [key, type, value] of meta) {
    w.str(key);
    switch (type) {
      case "u32":
        w.u32(T.U32);
        w.u32(value as number);
        break;
      case "f32":
        w.u32(T.F32);
        w.f32(value as number);
        break;
      case "bool":
        w.u32(T.BOOL);
        w.bool(value as boolean);
        break;
      case "str":
        w.u32(T.STRING);
        w.str(value as string);
        break;
      case "strs":
        w.u32(T.ARRAY);
        w.u32(T.STRING);
        w.u64((value as string[]).length);
        for (const s of value as string[]) w.str(s);
        break;
      case "i32s":
        w.u32(T.ARRAY);
        w.u32(T.I32);
        w.u64((value as number[]).length);
        for (const v of value as number[]) w.i32(v);
        break;
    }
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += t.data.byteLength;
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
  }
  tensors.forEach((t, i) => {
    w.str(t.name);
    w.u32(t.dims.length);
    for (const d of t.dims) w.u64(d);
    w.u32(GGML_F32);
    w.u64(offsets[i]!);
  });
  w.pad();
  for (const t of tensors) {
    w.raw(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    w.pad();
  }
  const data = w.buffer();
  const parameters = tensors.reduce((s, t) => s + t.data.length, 0);
  return { data, info: { bytes: data.length, vocabSize: nVocab, parameters, eosId: vocab.eos, bosId: vocab.bos } };
}

/** Write the tiny model to `path`. */
export function writeTinyGguf(path: string, opts: TinyGgufOptions = {}): TinyGgufInfo {
  const { data, info } = tinyGguf(opts);
  writeFileSync(path, data);
  return info;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name: string): number | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const out = args.find((a, i) => !a.startsWith("--") && !(i > 0 && args[i - 1]!.startsWith("--"))) ?? "tiny.gguf";
  const info = writeTinyGguf(out, { seed: opt("seed"), layers: opt("layers"), embd: opt("embd"), eosBias: opt("eos-bias") });
  console.log(`wrote ${out}: ${info.bytes} bytes, ${info.parameters} parameters, vocabulary of ${info.vocabSize}`);
}
