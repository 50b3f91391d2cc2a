/**
 * Container ids and names as Docker makes them: 64 hex ids, names matching
 * `[a-zA-Z0-9][a-zA-Z0-9_.-]+` stored with a leading "/", and generated names
 * "adjective_surname" (moby pkg/namesgenerator, abridged lists).
 */
import { randomBytes, randomInt } from "node:crypto";
import { invalidArgument } from "../../shared/errors.js";

/** A new container or exec id: 64 hex digits, not all digits (Docker avoids numeric-looking short ids). */
export function newId(): string {
  for (;;) {
    const id = randomBytes(32).toString("hex");
    if (!/^\d+$/.test(id.slice(0, 12))) return id;
  }
}

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Validate a user-given name and return it with its leading "/" (Docker's stored form). */
export function normalizeName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith("/") ? name : `/${name}`;
}

const LEFT = [
  "admiring", "adoring", "affectionate", "agitated", "amazing", "angry", "awesome", "beautiful", "blissful", "bold",
  "boring", "brave", "busy", "charming", "clever", "compassionate", "competent", "condescending", "confident", "cool",
  "cranky", "crazy", "dazzling", "determined", "distracted", "dreamy", "eager", "ecstatic", "elastic", "elated",
  "elegant", "eloquent", "epic", "exciting", "fervent", "festive", "flamboyant", "focused", "friendly", "frosty",
  "funny", "gallant", "gifted", "goofy", "gracious", "great", "happy", "hardcore", "heuristic", "hopeful", "hungry",
  "infallible", "inspiring", "intelligent", "interesting", "jolly", "jovial", "keen", "kind", "laughing", "loving",
  "lucid", "magical", "modest", "musing", "mystifying", "naughty", "nervous", "nice", "nifty", "nostalgic",
  "objective", "optimistic", "peaceful", "pedantic", "pensive", "practical", "priceless", "quirky", "quizzical",
  "recursing", "relaxed", "reverent", "romantic", "sad", "serene", "sharp", "silly", "sleepy", "stoic", "strange",
  "stupefied", "suspicious", "sweet", "tender", "thirsty", "trusting", "unruffled", "upbeat", "vibrant", "vigilant",
  "vigorous", "wizardly", "wonderful", "xenodochial", "youthful", "zealous", "zen",
];

const RIGHT = [
  "agnesi", "albattani", "allen", "almeida", "archimedes", "ardinghelli", "aryabhata", "austin", "babbage", "banach",
  "bardeen", "bartik", "bassi", "bell", "bhabha", "blackwell", "bohr", "booth", "borg", "bose", "brahmagupta",
  "brown", "carson", "cerf", "chandrasekhar", "chatelet", "clarke", "colden", "cori", "cray", "curie", "darwin",
  "davinci", "dijkstra", "dubinsky", "easley", "einstein", "elion", "engelbart", "euclid", "euler", "fermat",
  "fermi", "feynman", "franklin", "galileo", "gates", "goldberg", "goldstine", "goodall", "hamilton", "hawking",
  "heisenberg", "hermann", "hodgkin", "hoover", "hopper", "hugle", "hypatia", "jackson", "jang", "jennings",
  "jepsen", "johnson", "joliot", "kalam", "keldysh", "kepler", "khorana", "kilby", "knuth", "kowalevski", "lalande",
  "lamarr", "lamport", "leakey", "leavitt", "lehmann", "lewin", "lichterman", "liskov", "lovelace", "lumiere",
  "mahavira", "mayer", "mccarthy", "mcclintock", "meitner", "mendel", "merkle", "mirzakhani", "morse", "murdock",
  "napier", "nash", "newton", "nobel", "noether", "pare", "pascal", "pasteur", "payne", "perlman", "pike",
  "poincare", "ptolemy", "raman", "ramanujan", "ritchie", "rosalind", "sammet", "shannon", "shaw", "shockley",
  "sinoussi", "snyder", "spence", "stonebraker", "swanson", "swartz", "tesla", "thompson", "torvalds", "turing",
  "varahamihira", "villani", "volhard", "wescoff", "wiles", "williams", "wilson", "wing", "wozniak", "wright",
  "yalow", "yonath",
];

/** A Docker-style random name; `retry` > 0 appends a digit as moby does after a collision. */
export function generateName(retry = 0): string {
  for (;;) {
    const name = `${LEFT[randomInt(LEFT.length)]}_${RIGHT[randomInt(RIGHT.length)]}`;
    // Steve Wozniak is not boring (moby's rule).
    if (name === "boring_wozniak") continue;
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}
