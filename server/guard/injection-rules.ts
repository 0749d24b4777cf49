/**
 * The prompt-injection rules, as data: what each one catches, how much it
 * counts, and the regular expressions that find it.
 *
 * How the rules are read (see `input-screen.ts`):
 *
 * - Every pattern is compiled once with the `iu` flags (case-insensitive,
 *   Unicode-aware). Patterns are written in the normalised alphabet the
 *   screen matches against: NFKC (no fullwidth forms: write `:` not `：`);
 *   accents may be written, as both pattern and text lose them before
 *   matching, so `précédentes` also matches `precedentes`.
 * - Patterns must not backtrack without bound: no nested quantifiers over
 *   overlapping classes, gaps are bounded (`{0,80}`), and every pattern
 *   starts with a literal or an anchor, never with `\p{L}+`.
 * - `\b` knows only ASCII letters: next to Cyrillic or CJK text, use
 *   lookarounds such as `(?![\p{L}])` instead.
 * - A verdict's score is the sum of the weights of the distinct rules hit;
 *   the default threshold is 10. A weight of 10 is a rule that is enough on
 *   its own; lower weights are signals that also occur in ordinary text and
 *   only reject together.
 */

/** What kind of attack a rule is evidence of, for operators and dashboards. */
export type InjectionCategory =
  | "instruction-override"
  | "role-play-jailbreak"
  | "system-prompt-extraction"
  | "hidden-or-encoded-payload"
  | "delimiter-injection"
  | "tool-syntax-injection"
  | "agent-directed-instruction"
  | "data-exfiltration";

/** How a payload rule turns a matched run back into the text it hides. */
export type PayloadDecoder = "base64" | "hex" | "url" | "rot13" | "unicode-tags";

interface RuleFields {
  /** Stable kebab-case id: named in errors, logs and metrics. */
  readonly id: string;
  /** What the rule catches, in words for an operator. */
  readonly description: string;
  readonly category: InjectionCategory;
  /** What a hit adds to the score. */
  readonly weight: number;
  /** Regular-expression sources, compiled with the `iu` flags; any one matching is a hit. */
  readonly patterns: readonly string[];
  /**
   * Which texts the rule screens. Default both. A rule for `"tool-result"`
   * only is one that is ordinary from a caller (who may well address the
   * assistant) but is injection when data says it.
   */
  readonly appliesTo?: "input" | "tool-result";
}

/** Matched against the normalised text, and against every decoded payload. */
export interface TextRule extends RuleFields {
  readonly match: "text";
}

/** Matched against the text as received, for the characters normalisation removes. */
export interface CharacterRule extends RuleFields {
  readonly match: "characters";
}

/**
 * Its patterns find runs of encoded text; a run is decoded with `decoder`,
 * and the rule hits when the decoded text hits a text rule (whose hits then
 * count too).
 */
export interface PayloadRule extends RuleFields {
  readonly match: "payload";
  readonly decoder: PayloadDecoder;
}

/** One prompt-injection rule. */
export type InjectionRule = TextRule | CharacterRule | PayloadRule;

// Fragments shared by the English rules.

/** Verbs that tell a model to drop what it was told. */
const overrideVerb = String.raw`(?:ignore|disregard|forget|overlook|bypass|override|discard|abandon|set\s+aside|throw\s+(?:out|away)|pay\s+no\s+attention\s+to|stop\s+following|do\s+not\s+follow|don't\s+follow|no\s+longer\s+follow|stop\s+obeying|do\s+not\s+obey|don't\s+obey)`;
/** What a model is told: the things an override targets. */
const ruleNoun = String.raw`(?:instructions?|directives?|guidelines|rules|prompts?|commands|guidance|programming|constraints|restrictions|polic(?:y|ies)|orders|system\s+prompt|system\s+message)`;
/** Qualifiers that make a rule noun the model's own, earlier rules. */
const earlier = String.raw`(?:previous|prior|above|earlier|preceding|former|initial|original|old|existing|current|system|safety|default|given|programmed|built-in|base|core|developer|content|ethical)`;
/** An AI addressed as such. */
const aiNoun = String.raw`(?:ai|assistants?|agents?|bots?|chatbots?|models?|llms?|(?:large\s+)?language\s+models?|copilots?|gpts?)`;
/** Verbs that ask for text to be shown. */
const revealVerb = String.raw`(?:reveal|show|print|display|output|repeat|tell|give|list|share|leak|dump|expose|write\s+out|spell\s+out|recite|echo|paste|copy|provide|disclose|send|return|type\s+out|state|read\s+out)`;
/** What a model's hidden set-up is called. */
const promptNoun = String.raw`(?:system\s*prompt|prompt|pre-?prompt|system\s+message|context\s+window|configuration|initial\s+message)`;
/** Qualifiers that make "instructions" or "rules" the model's hidden set-up. */
const hiddenQualifier = String.raw`(?:full|complete|entire|exact|whole|original|initial|hidden|secret|internal|system|starting|first|underlying|core|base|developer|given|previous|prior|current)`;
/** Things that are lifted in a jailbreak. */
const limitNoun = String.raw`(?:restrictions|limitations|limits|rules|filters|filtering|censorship|guidelines|guardrails|boundaries|ethics|morals|morality|safeguards|polic(?:y|ies))`;

/** The rules, in the order hits are reported. */
export const injectionRules: readonly InjectionRule[] = [
  // Characters that have no business in a prompt.
  {
    id: "control-characters",
    description: "Control characters other than tab, newline and carriage return (terminal escapes, NUL), which can hide or reorder text.",
    category: "hidden-or-encoded-payload",
    weight: 4,
    match: "characters",
    patterns: [String.raw`[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]`],
  },
  {
    id: "invisible-characters",
    description: "Zero-width and invisible characters (U+200B-U+200F, U+2060-U+2064, U+FEFF), used to split trigger words; also found in emoji and some scripts, so weak alone.",
    category: "hidden-or-encoded-payload",
    weight: 3,
    match: "characters",
    patterns: [String.raw`[\u200B-\u200F\u2060-\u2064\uFEFF]`],
  },
  {
    id: "bidi-controls",
    description: "Bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069), which make displayed text differ from what the model reads.",
    category: "hidden-or-encoded-payload",
    weight: 4,
    match: "characters",
    patterns: [String.raw`[\u202A-\u202E\u2066-\u2069]`],
  },
  {
    id: "unicode-tag-characters",
    description: "Unicode tag characters (U+E0000-U+E007F): invisible copies of ASCII; a few build flag emoji.",
    category: "hidden-or-encoded-payload",
    weight: 4,
    match: "characters",
    patterns: [String.raw`[\u{E0000}-\u{E007F}]`],
  },
  {
    id: "unicode-tag-text",
    description: "A run of eight or more Unicode tag characters: hidden ASCII text, longer than any flag emoji.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "characters",
    patterns: [String.raw`[\u{E0020}-\u{E007E}]{8}`],
  },

  // Instruction override.
  {
    id: "instruction-override",
    description: "Tells the model to ignore, forget or stop following its previous instructions or rules.",
    category: "instruction-override",
    weight: 10,
    match: "text",
    patterns: [
      // English.
      String.raw`\b${overrideVerb}\s+(?:(?:all|any|every|each)\s+(?:of\s+)?)?(?:(?:the|your|these|those|its|ur|[\p{L}]+'s)\s+)?(?:${earlier}\s+){1,2}${ruleNoun}\b`,
      String.raw`\b${overrideVerb}\s+(?:(?:all|any|every)\s+(?:of\s+)?)?(?:your|its|ur|[\p{L}]+'s)\s+(?:[\p{L}-]+\s+)?${ruleNoun}\b`,
      String.raw`\b${overrideVerb}\s+(?:all|any|every)\s+(?:of\s+)?(?:the\s+)?${ruleNoun}\b`,
      String.raw`\b${overrideVerb}\s+(?:all\s+(?:of\s+)?)?(?:the\s+|everything\s+)?(?:said\s+|written\s+)?above\s*(?:[,.;:!]|and\b|$)`,
      String.raw`\b${overrideVerb}\s+(?:all\s+(?:of\s+)?)?(?:the\s+)?${ruleNoun}\s+(?:that\s+)?(?:you\s+(?:were|have\s+been|got|received)|you've\s+been)`,
      String.raw`\bforget\s+(?:about\s+)?(?:everything|all(?:\s+of\s+it)?|all\s+that|what)\s+(?:(?:that\s+)?you(?:'ve|\s+have|\s+were|\s+had)?\s+(?:been\s+)?(?:told|taught|given|instructed|programmed|trained|learned)|(?:written\s+)?(?:above|before\s+this))`,
      String.raw`\b(?:do\s+not|don't|stop|no\s+longer)\s+(?:follow|obey|adhere\s+to|comply\s+with|listen\s+to)(?:ing)?\s+(?:(?:any|all)\s+(?:of\s+)?)?(?:your|the|its)\s+(?:[\p{L}-]+\s+)?${ruleNoun}\b`,
      // German.
      String.raw`\b(?:ignorier|vergiss|vergesst|vergessen\s+sie|missacht|verwirf|übergeh)\p{L}*\s+(?:bitte\s+)?(?:(?:alle|sämtliche|jegliche)\s+)?(?:(?:deine|ihre|die|eure|diese)\s+)?(?:\p{L}+\s+)?(?:anweisungen|instruktionen|regeln|vorgaben|befehle|richtlinien|anordnungen|systemanweisungen)\b`,
      String.raw`\bvergiss\s+alles,?\s+was\s+(?:man\s+)?(?:dir|ihnen)\s+(?:\p{L}+\s+){0,2}(?:gesagt|beigebracht|vorgegeben)`,
      // French.
      String.raw`\b(?:ignore|ignorez|ignorer|oublie|oubliez|oublier|néglige|négligez|ne\s+tiens\s+pas\s+compte|ne\s+tenez\s+pas\s+compte|fais\s+abstraction|faites\s+abstraction)\s+(?:de\s+|des\s+)?(?:(?:toutes|tous)\s+)?(?:les|tes|vos|ces)\s+(?:\p{L}+\s+)?(?:instructions|consignes|règles|directives|indications|ordres)\b`,
      // Spanish.
      String.raw`\b(?:ignora|ignore|ignoren|olvida|olvide|olviden|omite|descarta|desobedece|haz\s+caso\s+omiso|no\s+hagas\s+caso)\s+(?:de\s+|a\s+)?(?:(?:todas|todos)\s+)?(?:las|tus|sus|los|tu|su)\s+(?:\p{L}+\s+)?(?:instrucciones|reglas|indicaciones|directrices|órdenes|normas)\b`,
      // Italian.
      String.raw`\b(?:ignora|ignori|ignorate|dimentica|dimentichi|dimenticate|trascura|non\s+considerare|non\s+tenere\s+conto)\s+(?:di\s+|delle\s+)?(?:(?:tutte|tutti)\s+)?(?:(?:le|i|gli)\s+)?(?:(?:tue|tuoi|sue|vostre)\s+)?(?:\p{L}+\s+)?(?:istruzioni|regole|indicazioni|direttive|ordini)\b`,
      // Portuguese.
      String.raw`\b(?:ignore|ignora|esqueça|esquece|desconsidere|desconsidera|despreze|descarte)\s+(?:(?:todas|todos)\s+)?(?:(?:as|os)\s+)?(?:(?:suas|seus|tuas|teus)\s+)?(?:\p{L}+\s+)?(?:instruções|regras|diretrizes|orientações|ordens)\b`,
      // Dutch.
      String.raw`\b(?:negeer|vergeet|veronachtzaam)\s+(?:(?:al|alle)\s+)?(?:(?:je|jouw|uw|de|die)\s+)?(?:\p{L}+\s+)?(?:instructies|regels|aanwijzingen|opdrachten|richtlijnen)\b`,
      // Russian.
      String.raw`(?:игнорируй|игнорируйте|забудь|забудьте|не\s+обращай\s+внимания\s+на|не\s+обращайте\s+внимания\s+на|отбрось|отбросьте|не\s+следуй|перестань\s+следовать)\s+(?:(?:все|всё)\s+)?(?:(?:свои|твои|ваши|эти)\s+)?(?:\p{L}+\s+)?(?:инструкци|указани|правил|команд|установк|директив|ограничени)`,
      // Chinese.
      String.raw`(?:忽略|无视|忘记|忘掉|不要理会|不要遵守|停止遵守|不再遵守|抛开|抛弃)[^。!?\n]{0,10}(?:指令|指示|规则|设定|限制|命令|提示词)`,
      // Japanese.
      String.raw`(?:以前|これまで|今まで|前|上記|上|最初|すべて|全て|元)の[^。!?\n]{0,6}?(?:指示|命令|指令|ルール|制約|設定)[^。!?\n]{0,8}?(?:無視|忘れ)`,
      String.raw`(?:指示|命令|指令|ルール|制約)(?:を|は)(?:すべて|全て)?(?:無視|忘れ)`,
    ],
  },
  {
    id: "instructions-revoked",
    description: "Declares the model's previous instructions revoked, void or replaced.",
    category: "instruction-override",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\b(?:your|all\s+(?:of\s+)?your)\s+(?:(?:previous|prior|earlier|original|old|existing|current|initial)\s+)?${ruleNoun}\s+(?:are|is|have\s+been|has\s+been|were)\s+(?:now\s+|hereby\s+)?(?:revoked|void|null|cancell?ed|overridden|obsolete|invalid|lifted|replaced|deleted|removed|suspended|no\s+longer\s+(?:valid|in\s+effect|apply|applicable))\b`,
      String.raw`\b(?:all|the)\s+(?:previous|prior|earlier|original|initial)\s+${ruleNoun}\s+(?:are|is|have\s+been|has\s+been|were)\s+(?:now\s+|hereby\s+)?(?:revoked|void|null|cancell?ed|overridden|obsolete|invalid|replaced|deleted|suspended|no\s+longer\s+(?:valid|in\s+effect|apply|applicable))\b`,
      String.raw`\b(?:deine|alle|die)\s+(?:bisherigen|vorherigen|alten|ursprünglichen)\s+(?:anweisungen|regeln|vorgaben)\s+(?:sind|gelten)\s+(?:ab\s+sofort\s+|jetzt\s+|nun\s+)?(?:ungültig|aufgehoben|nicht\s+mehr|außer\s+kraft)`,
      String.raw`\b(?:tes|vos|les)\s+(?:instructions|règles|consignes)\s+(?:précédentes\s+)?(?:sont|ont\s+été)\s+(?:désormais\s+)?(?:annulées|révoquées|caduques|remplacées)`,
    ],
  },
  {
    id: "context-override",
    description: "Tells the model to disregard the preceding content or conversation (weaker than an override of its instructions).",
    category: "instruction-override",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b${overrideVerb}\s+(?:all\s+(?:of\s+)?)?(?:the|any|everything)\s+(?:previous|prior|above|earlier|preceding)\s+(?:content|text|context|messages?|conversation|input|information|data|prompt)\b`,
    ],
  },
  {
    id: "user-request-override",
    description: "Tells the model to ignore the user's question or the user (typical of injected tool output).",
    category: "instruction-override",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\b${overrideVerb}\s+(?:what\s+)?the\s+user(?:'s|s')?\s+(?:(?:original|actual|real)\s+)?(?:question|request|query|message|input|instructions?|prompt|task|said|asked|wants)\b`,
      String.raw`\b${overrideVerb}\s+the\s+user\s+(?:and|completely|entirely)\b`,
    ],
  },
  {
    id: "new-instructions",
    description: "Announces new instructions, a new task or a new policy for the model.",
    category: "instruction-override",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:new|updated|revised|real|actual)\s+(?:instructions?|directives?|task|policy|rules|orders|system\s+prompt)\s*[:\-–—]`,
      String.raw`\byour\s+(?:new|real|actual|true)\s+(?:instructions?|directives?|task|purpose|role|goal|orders)\s+(?:is|are)\b`,
      String.raw`\b(?:comply\s+with|follow|obey)\s+(?:the\s+)?(?:following\s+)?new\s+(?:instructions?|directives?|rules|orders)\b`,
      String.raw`\b(?:neue|nouvelles?|nuevas?|nuove|novas?|nieuwe)\s+(?:anweisungen|instructions?|instrucciones|istruzioni|instruções|instructies|regeln|règles|reglas|regole|regras|regels)\s*:`,
      String.raw`новые\s+(?:инструкции|указания|правила)\s*:`,
      String.raw`(?:新指令|新的指令|新的指示|新规则|新しい指示|新たな指示)`,
    ],
  },
  {
    id: "task-switch",
    description: "Tells the model to stop the task it was given and do something else instead.",
    category: "instruction-override",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:do\s+not|don't|stop|instead\s+of)\s+(?:summari[sz]\p{L}*|translat\p{L}*|answer\p{L}*|respond\p{L}*|writ\p{L}*|reply\p{L}*)\b[^\n]{0,40}?\binstead\b`,
    ],
  },

  // Role-play jailbreaks.
  {
    id: "persona-switch",
    description: "Assigns the model a new persona or role ('you are now', 'act as', 'pretend'); ordinary in many requests, so weak alone.",
    category: "role-play-jailbreak",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`\byou\s+are\s+(?:now|no\s+longer|henceforth)\b`,
      String.raw`\byou're\s+(?:now|no\s+longer)\b`,
      String.raw`\byou\s+(?:will|shall|must)\s+now\s+(?:act|be|roleplay|role-play|pretend|respond|answer|behave|become)\b`,
      String.raw`\byou\s+are\s+going\s+to\s+(?:act|pretend|roleplay|role-play|be)\b`,
      String.raw`\bact(?:ing)?\s+as\b`,
      String.raw`\bpretend(?:ing)?\s+(?:to\s+be|you(?:'re|\s+are|\s+were|\s+have)|that\s+you)\b`,
      String.raw`\brole-?\s?play(?:ing)?\s+(?:as|an?)\b`,
      String.raw`\bfrom\s+now\s+on,?\s+(?:you|act|behave|respond|answer|pretend)\b`,
      String.raw`\bstop\s+being\s+(?:an?\s+)?(?:assistant|ai|chatbot|helpful|yourself)\b`,
      String.raw`\bimagine\s+(?:that\s+)?you(?:'re|\s+are|\s+were)\b`,
      String.raw`\bsimulate\s+(?:an?\s+)?(?:ai|assistant|chatbot|model|developer|jailbroken)\b`,
      String.raw`\bplay\s+the\s+role\s+of\b`,
      String.raw`\bdu\s+bist\s+(?:jetzt|ab\s+sofort|nun|ab\s+jetzt)\b`,
      String.raw`\b(?:tu|tue|spiel)\s+so,?\s+als\s+(?:ob|wärst)\b`,
      String.raw`\bverhalte\s+dich\s+(?:wie|als)\b`,
      String.raw`\b(?:tu\s+es|vous\s+êtes)\s+(?:maintenant|désormais|dorénavant)\b`,
      String.raw`\b(?:fais|faites)\s+comme\s+si\b`,
      String.raw`\bagis\s+comme\b`,
      String.raw`\b(?:a\s+partir\s+de\s+ahora|desde\s+ahora|ahora)\s+(?:eres|serás|vas\s+a\s+ser)\b`,
      String.raw`\bfinge\s+(?:que|ser)\b`,
      String.raw`\b(?:actúa|compórtate)\s+como\b`,
      String.raw`\b(?:da\s+ora\s+in\s+poi|d'ora\s+in\s+poi|ora|adesso)\s+(?:sei|diventi)\b`,
      String.raw`\b(?:fingi\s+(?:di|che)|fai\s+finta|comportati\s+come)\b`,
      String.raw`\b(?:a\s+partir\s+de\s+agora|agora)\s+(?:você|tu)\s+(?:é|és|será|vai\s+ser)\b`,
      String.raw`\b(?:finja\s+(?:que|ser)|aja\s+como|comporte-se\s+como)\b`,
      String.raw`\bje\s+bent\s+(?:nu|vanaf\s+nu|voortaan)\b`,
      String.raw`\b(?:doe\s+alsof|gedraag\s+je\s+(?:als|alsof)|speel\s+de\s+rol)\b`,
      String.raw`(?:теперь|отныне|с\s+этого\s+момента)\s+ты(?![\p{L}])`,
      String.raw`(?:притворись|представь,?\s+что\s+ты|веди\s+себя\s+как)`,
      String.raw`(?:从现在开始|从现在起|现在)[,]?\s*你(?:是|就是|将是|扮演|将扮演|成为)`,
      String.raw`(?:假装你是|扮演一个|你现在是)`,
      String.raw`(?:今から|これから|今後)(?:は)?[,、]?\s*(?:あなた|君|きみ)は`,
      String.raw`(?:ふりをして|になりきって|として振る舞)`,
    ],
  },
  {
    id: "stay-in-character",
    description: "Asks the model to stay in character whatever it is asked, which keeps a jailbreak persona alive.",
    category: "role-play-jailbreak",
    weight: 4,
    match: "text",
    patterns: [String.raw`\b(?:stay(?:ing)?|remain(?:ing)?)\s+in\s+character\b`, String.raw`\b(?:never|don't|do\s+not)\s+break\s+character\b`],
  },
  {
    id: "known-jailbreak",
    description: "A well-known jailbreak template or persona (DAN 'do anything now', Mongo Tom, the evil confidant, the deceased-grandmother trick).",
    category: "role-play-jailbreak",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\bdo\s+anything\s+now\b`,
      String.raw`\b(?:you\s+are|you're|act\s+as|pretend\s+to\s+be|become)\s+(?:now\s+)?(?:an?\s+)?(?:dan|stan|dude|antigpt|betterdan|basedgpt)\b`,
      String.raw`\bdan\s+(?:mode|prompt|jailbreak|\d+(?:\.\d+)?)\b`,
      String.raw`\bmongo\s+tom\b`,
      String.raw`\bevil\s+confidant\b`,
      String.raw`\balways\s+intelligent\s+and\s+machiavellian\b`,
      String.raw`\bmandatory\s+(?:\p{L}+\s+)?warning\s+out\s+of\s+the\s+way\b`,
      String.raw`\b(?:act|pretend|roleplay|role-play|play)\s+(?:as\s+|to\s+be\s+)?my\s+(?:deceased|late|dead|departed)\s+(?:grand(?:mother|ma|father|pa|parent)|granny|nana|mother|father|mom|mum|dad)\b`,
    ],
  },
  {
    id: "developer-mode",
    description: "Puts the model in a fictitious 'developer mode' with different rules.",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\bdeveloper\s+mode\s+(?:output|response|enabled|activated|ignores|has\s+no|disregards|bypasses)\b`,
      String.raw`\b(?:you\s+are|you're)\s+(?:now\s+)?in\s+developer\s+mode\b`,
      String.raw`\b(?:chatgpt|gpt|assistant|ai|model|llm)\s+(?:\p{L}+\s+){0,3}?(?:with|in)\s+developer\s+mode\b`,
      String.raw`\bsimulate\s+developer\s+mode\b`,
      String.raw`(?:開発者モード|开发者模式|entwicklermodus|mode\s+développeur|modo\s+(?:de\s+)?desarrollador|modalità\s+sviluppatore|modo\s+(?:de\s+)?desenvolvedor|ontwikkelaarsmodus|режим\s+разработчика)`,
    ],
  },
  {
    id: "jailbreak-mode",
    description: "Declares a jailbreak or an unrestricted 'mode' (opposite mode, evil mode, jailbroken).",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:opposite|evil|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|dan|chaos|sudo|unlocked)\s+mode\b`,
      String.raw`\bthis\s+is\s+a\s+jailbreak\b`,
      String.raw`\byou\s+(?:are|have\s+been)\s+(?:now\s+)?(?:jailbroken|unlocked|liberated|freed)\b`,
      String.raw`\b(?:jailbreak|jailbroken)\s+(?:mode|prompt|version|ai|assistant|model)\b`,
    ],
  },
  {
    id: "no-restrictions",
    description: "Speaks of answering without restrictions, filters, rules or censorship; ordinary in other contexts, so not enough alone.",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:no|without|zero|free\s+from|free\s+of|not\s+bound\s+by|unbound\s+by|no\s+longer\s+bound\s+by)\s+(?:any\s+|all\s+)?(?:[\p{L}-]+\s+)?${limitNoun}\b`,
      String.raw`\b(?:unrestricted|unfiltered|uncensored|unaligned|unchained)\b`,
      String.raw`\b(?:broken|break)\s+free\s+(?:of|from)\b`,
      String.raw`\bohne\s+(?:jegliche\s+|alle\s+|irgendwelche\s+)?(?:einschränkungen|beschränkungen|regeln|filter|zensur|grenzen)\b`,
      String.raw`\b(?:sans|aucune?|pas\s+de)\s+(?:aucune?\s+)?(?:restrictions?|filtres?|règles?|censure|limites?)\b`,
      String.raw`\bsin\s+(?:ninguna\s+|ningún\s+)?(?:restricciones|restricción|filtros?|reglas|censura|límites)\b`,
      String.raw`\bsenza\s+(?:alcuna\s+|alcun\s+|nessuna\s+)?(?:restrizioni|restrizione|filtri|filtro|regole|censura|limiti)\b`,
      String.raw`\bsem\s+(?:nenhuma\s+|qualquer\s+|nenhum\s+)?(?:restrições|restrição|filtros?|regras|censura|limites)\b`,
      String.raw`\bzonder\s+(?:enige\s+)?(?:regels|beperkingen|filters|censuur|grenzen)\b`,
      String.raw`без\s+(?:каких-либо\s+|всяких\s+|любых\s+)?(?:ограничени|правил|фильтр|цензур)`,
      String.raw`(?:没有任何|没有|不受|无)(?:任何)?(?:限制|约束|过滤|审查)`,
      String.raw`(?:制限|制約|フィルター|検閲)(?:の|が)?(?:ない|なし|無し|無い)`,
    ],
  },
  {
    id: "unrestricted-ai",
    description: "Describes the model, or another AI it should become, as having no rules or filters.",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:ai|assistant|model|chatbot|bot|llm|version\s+of\s+(?:you|yourself))\s+(?:that|who|which)\s+(?:has|have|had)\s+no\s+(?:[\p{L}-]+\s+)?(?:restrictions|rules|filters|limits|limitations|guidelines|ethics|morals|boundaries|censorship)\b`,
      String.raw`\b(?:ai|assistant|model|chatbot|bot|llm)s?\s+(?:without|with\s+no|free\s+(?:of|from))\s+(?:any\s+)?(?:[\p{L}-]+\s+)?(?:restrictions|rules|filters|limits|limitations|guidelines|ethics|morals|censorship)\b`,
      String.raw`\b(?:ai|assistants?|chatbots?|models?)\s+(?:have|has)\s+no\s+(?:rules|restrictions|limits|filters|guidelines)\b`,
      String.raw`\b(?:unrestricted|unfiltered|uncensored|jailbroken|evil|unaligned)\s+(?:ai|assistant|model|chatbot|bot|llm|version)\b`,
      String.raw`\b(?:ia|ki|ai)\s+(?:sans|ohne|sin|senza|sem|zonder)\b`,
      String.raw`(?:^|[^\p{L}])ии\s+без(?![\p{L}])`,
      String.raw`(?:没有任何限制|不受限制|没有限制)的(?:AI|人工智能|助手|模型)`,
      String.raw`制限のない(?:AI|アシスタント|モデル)`,
    ],
  },
  {
    id: "safety-disable",
    description: "Tells the model to disable or bypass its safety rules or filters, or declares them off.",
    category: "role-play-jailbreak",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\b(?:disable|turn\s+off|switch\s+off|deactivate|remove|bypass|circumvent|ignore|lift|suspend|drop|override|get\s+around)\s+(?:all\s+(?:of\s+)?)?(?:your|the\s+assistant's|its|ur)\s+(?:own\s+)?(?:\p{L}+\s+)?(?:filters?|guardrails|safeguards|restrictions|safety|safety\s+(?:rules|polic(?:y|ies)|protocols|measures|settings|features|training)|content\s+(?:polic(?:y|ies)|filters?|moderation)|polic(?:y|ies)|censorship|alignment|ethics|moral\s+compass|programming)\b`,
      String.raw`\b(?:safety|content|ethical|moral)\s+(?:filters?|restrictions|protocols?|polic(?:y|ies)|guardrails|guidelines|rules|measures|settings)\s+(?:are|is|have\s+been|has\s+been|were)\s+(?:now\s+|hereby\s+|all\s+)?(?:disabled|removed|lifted|off|switched\s+off|turned\s+off|deactivated|suspended|void|bypassed|gone)\b`,
      String.raw`\b(?:all\s+)?filters\s+(?:are|have\s+been)\s+(?:now\s+)?(?:disabled|removed|off|turned\s+off|switched\s+off|deactivated)\b`,
      String.raw`\b(?:content|safety|usage)\s+polic(?:y|ies)\s+(?:do(?:es)?\s+not|don't|doesn't|no\s+longer)\s+apply\b`,
      String.raw`\b(?:deaktiviere|ignoriere|umgehe|schalte)\s+(?:\p{L}+\s+)?(?:deine|ihre)\s+(?:\p{L}+\s+)?(?:filter|sicherheitsrichtlinien|sicherheitsregeln|schutzmechanismen)\b`,
      String.raw`\b(?:désactive|contourne|ignore)\s+(?:tes|vos)\s+(?:filtres|garde-fous|règles\s+de\s+sécurité)\b`,
      String.raw`\b(?:desactiva|elude|ignora)\s+(?:tus|sus)\s+(?:filtros|salvaguardas)\b`,
    ],
  },
  {
    id: "refusal-suppression",
    description: "Forbids the model to refuse, or demands it answer everything.",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:never|do\s+not|don't|must\s+not|mustn't|cannot|can't|will\s+not|won't|shall\s+not)\s+(?:ever\s+)?(?:refuse|decline|say\s+no)\b`,
      String.raw`\brefus(?:ing|als?)\s+(?:is|are)\s+(?:not|never)\s+(?:allowed|permitted|an\s+option|possible)\b`,
      String.raw`\bwithout\s+(?:ever\s+)?(?:refusing|refusal|declining|hesitation|question(?:ing)?)\b`,
      String.raw`\b(?:answer|respond\s+to|reply\s+to|comply\s+with)\s+(?:every|any|all)\s+(?:\p{L}+\s+)?(?:questions?|requests?|prompts?|queries)\s+(?:fully|no\s+matter|regardless|without)\b`,
      String.raw`\b(?:nunca\s+(?:se\s+niega|te\s+niegues|rechaces)|ne\s+refuse\s+jamais|jamais\s+refuser|niemals\s+ablehnen|verweigere\s+nie|non\s+rifiutare\s+mai|nunca\s+recuse|weiger\s+nooit)\b`,
      String.raw`(?:никогда\s+не\s+отказывай|не\s+отказывайся)`,
      String.raw`(?:不要拒绝|不得拒绝|永远不要拒绝|断らない|拒否しない)`,
    ],
  },
  {
    id: "policy-violation",
    description: "Asks the model to answer even against its rules, or to break them.",
    category: "role-play-jailbreak",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:even\s+if|even\s+though|although|regardless\s+of\s+whether)\s+(?:it|this|that|the\s+answer)\s+(?:violates|breaks|goes\s+against|contradicts|is\s+against)\s+(?:your|the|any|its|[\p{L}]+'s)\b`,
      String.raw`\b(?:break|bend|violate)\s+(?:the|your|all|all\s+the|all\s+of\s+your)\s+rules\b`,
      String.raw`\bregardless\s+of\s+(?:your|any)\s+(?:rules|guidelines|polic(?:y|ies)|ethics|restrictions|programming)\b`,
    ],
  },
  {
    id: "hypothetical-unrestricted",
    description: "Hypothetical or fictional framing of a model without rules ('imagine', 'for a novel', 'thought experiment').",
    category: "role-play-jailbreak",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`\b(?:hypothetically|hypothetical|imagine|in\s+a\s+(?:world|universe)|thought\s+experiment|let's\s+pretend|suppose|for\s+a\s+(?:novel|story|screenplay|book|game)|in\s+a\s+(?:story|novel|fictional))\b[^\n]{0,80}?(?:\b(?:unrestricted|unfiltered|uncensored)\b|\b(?:no|without|free\s+of)\s+(?:any\s+|all\s+)?(?:[\p{L}-]+\s+)?(?:restrictions|rules|filters|guidelines|limits|ethics|censorship|limitations)\b)`,
    ],
  },
  {
    id: "authority-claim",
    description: "Claims to be the model's administrator, developer or vendor, or to authorise it to break its rules.",
    category: "instruction-override",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`\b(?:this\s+is|i\s+am|i'm)\s+(?:your|the)\s+(?:system\s+)?(?:administrator|admin|developer|creator|owner|operator|programmer|maker)\b`,
      String.raw`\b(?:openai|anthropic|google|microsoft|meta|mistral)\s+(?:staff|employee|team|engineer|developer|admin)s?\b`,
      String.raw`\bas\s+(?:the|your)\s+(?:lead\s+|chief\s+|senior\s+)?(?:developer|administrator|admin|creator|owner|operator)\b`,
      String.raw`\b(?:authori[sz](?:e|ed|ing)|permit(?:ted|ting)?|allow(?:ed|ing)?)\s+you\s+to\b`,
      String.raw`\b(?:giving|give|grant|granting)\s+you\s+(?:full\s+)?permission\s+to\b`,
      String.raw`\bsudo\b`,
      String.raw`\bas\s+root\b`,
      String.raw`\badmin(?:istrator)?\s+(?:access|privileges|override)\s+(?:granted|enabled)\b`,
    ],
  },

  // System-prompt extraction.
  {
    id: "system-prompt-extraction",
    description: "Asks the model to reveal its system prompt, hidden or initial instructions.",
    category: "system-prompt-extraction",
    weight: 10,
    match: "text",
    patterns: [
      // English.
      String.raw`\b${revealVerb}\s+(?:me\s+|us\s+)?(?:back\s+)?(?:(?:all|each|every)\s+(?:of\s+)?)?(?:your|ur)\s+(?:${hiddenQualifier}\s+){0,3}${promptNoun}\b`,
      String.raw`\b${revealVerb}\s+(?:me\s+|us\s+)?(?:back\s+)?(?:(?:all|each|every)\s+(?:of\s+)?)?(?:your|ur)\s+(?:${hiddenQualifier}\s+){1,3}(?:instructions|directives|guidelines|rules|programming)\b`,
      String.raw`\b(?:words|lines|sentences|characters|paragraphs|text|part|parts|contents?|beginning|start)\s+of\s+(?:your|ur)\s+(?:${hiddenQualifier}\s+)?(?:system\s*prompt|prompt|instructions)\b`,
      String.raw`\b(?:words|lines|sentences|text|contents?|beginning|start)\s+of\s+the\s+(?:system|initial|original|hidden)\s+(?:prompt|instructions)\b`,
      String.raw`\b(?:instructions|rules|guidelines|directives|prompt|system\s+prompt)\s+(?:that\s+)?(?:you\s+(?:were|have\s+been|got|received)|were\s+you|have\s+you\s+been|you've\s+been)\s+(?:given|told|programmed|provided|instructed|trained|fed|set)\b`,
      String.raw`\b(?:what|which)\s+(?:is|are|was|were|'s)\s+(?:your|ur)\s+(?:${hiddenQualifier}\s+){0,3}${promptNoun}\b`,
      String.raw`\b(?:what|which)\s+(?:is|are|was|were|'s)\s+(?:your|ur)\s+(?:${hiddenQualifier}\s+){1,3}(?:instructions|rules|guidelines|directives)\b`,
      String.raw`\b(?:my|your)\s+system\s*prompt\s+(?:says|said|reads|is|begins|starts|contains)\b`,
      String.raw`\b(?:secret|password|key|token|code)s?\s+(?:in|from|inside)\s+(?:your|the)\s+(?:system\s*prompt|prompt|instructions)\b`,
      String.raw`\b(?:said|written|told|given|sent|shown)\s+(?:to\s+you\s+)?(?:before|prior\s+to|above)\s+(?:my\s+first\s+message|this\s+conversation|the\s+conversation|our\s+conversation|the\s+(?:start|beginning)\s+of\s+(?:this|the|our)\s+(?:conversation|chat))`,
      String.raw`\b(?:including|include|with)\s+(?:any|all|the)\s+(?:hidden|system|secret|internal)\s+(?:instructions|messages|prompts?)\b`,
      // German.
      String.raw`\b(?:zeig|zeige|nenn|nenne|gib|verrate|wiederhole|drucke|schreib|sag)\p{L}*\s+(?:mir\s+)?(?:bitte\s+)?(?:deinen|deine|dein|ihren|ihre)\s+(?:\p{L}+\s+){0,2}?(?:system-?prompt|systemanweisung(?:en)?|anweisungen|instruktionen|prompt)\b`,
      String.raw`\bwas\s+(?:ist|sind)\s+(?:dein|deine)\s+(?:system-?prompt|systemanweisungen|anweisungen)\b`,
      // French.
      String.raw`\b(?:montre|affiche|révèle|donne|répète|écris|imprime|dis)[\p{L}-]*\s+(?:moi\s+)?(?:ton|tes|votre|vos)\s+(?:\p{L}+\s+)?(?:prompt|instructions|consignes|message\s+système)\b`,
      String.raw`\bquel(?:le)?s?\s+(?:est|sont)\s+(?:ton|tes|votre|vos)\s+(?:prompt|instructions\s+(?:initiales|système|cachées))\b`,
      // Spanish.
      String.raw`\b(?:muestra|dime|revela|enseña|repite|imprime|escribe|dame)[\p{L}]*\s+(?:\p{L}+\s+){0,2}?(?:tu|tus|su|sus)\s+(?:\p{L}+\s+)?(?:prompt|instrucciones\s+(?:del?\s+sistema|iniciales|ocultas|originales)|mensaje\s+del\s+sistema)\b`,
      // Italian.
      String.raw`\b(?:mostra|rivela|dimmi|ripeti|stampa|scrivi|dammi)[\p{L}]*\s+(?:\p{L}+\s+){0,2}?(?:il\s+tuo|i\s+tuoi|le\s+tue|la\s+tua)\s+(?:\p{L}+\s+)?(?:prompt|istruzioni|regole)\b`,
      // Portuguese.
      String.raw`\b(?:mostre|mostra|revele|revela|diga|repita|imprima|escreva)[\p{L}-]*\s+(?:\p{L}+\s+){0,2}?(?:o\s+seu|os\s+seus|as\s+suas|a\s+sua|o\s+teu|os\s+teus|as\s+tuas|seu|sua|seus|suas|teu|tua)\s+(?:\p{L}+\s+)?(?:prompt|instruções|regras)\b`,
      // Dutch.
      String.raw`\b(?:laat|toon|geef|vertel|herhaal|print)\s+(?:me\s+|mij\s+)?(?:\p{L}+\s+){0,2}?(?:je|jouw|uw)\s+(?:\p{L}+\s+)?(?:systeemprompt|systeem\s*prompt|prompt|instructies)\b`,
      // Russian.
      String.raw`(?:покажи|выведи|раскрой|напиши|повтори|скажи|расскажи|дай|распечатай)\s+(?:мне\s+)?(?:\p{L}+\s+){0,2}?(?:свой|свои|твой|твои|ваш|ваши)\s+(?:\p{L}+\s+)?(?:системн\p{L}*\s+)?(?:промпт|инструкци|подсказк)`,
      // Chinese.
      String.raw`(?:显示|告诉我|输出|打印|展示|透露|泄露|给我看|重复|说出)[^。!?\n]{0,6}(?:系统提示|系统指令|初始指令|初始提示|原始指令|隐藏指令|系统消息)`,
      String.raw`你的(?:系统提示|系统指令|初始指令|初始提示|隐藏指令|提示词)[^。!?\n]{0,8}(?:输出|显示|告诉|打印|发给|给我|是什么)`,
      // Japanese.
      String.raw`(?:システムプロンプト|初期プロンプト|システム指示|最初の指示|隠された指示)[^。!?\n]{0,10}(?:表示|教え|出力|見せ|開示|繰り返)`,
    ],
  },
  {
    id: "repeat-preceding-text",
    description: "Asks the model to repeat the text above or before the conversation, a common way to leak the system prompt.",
    category: "system-prompt-extraction",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\b(?:repeat|print|output|copy|recite|echo|reproduce|write\s+out|type\s+out|return|show|display)\s+(?:back\s+)?(?:all\s+(?:of\s+)?)?(?:the\s+)?(?:words|text|everything|content|contents|lines|sentences|messages|instructions|all|prompt)\s+(?:written\s+|that\s+(?:came|comes|appears?|is)\s+)?(?:above|before|prior\s+to|preceding)\b`,
      String.raw`\bstarting\s+(?:with|from)\s+(?:the\s+(?:phrase|words?|sentence|line)\s+)?["'“‘]?you\s+are\b`,
      String.raw`\bwiederhole\s+(?:\p{L}+\s+){0,3}?(?:text|worte|wörter|inhalt|alles)\s+(?:über|oberhalb|vor)\b`,
      String.raw`\b(?:répète|recopie|réécris|affiche)\s+(?:mot\s+pour\s+mot\s+)?(?:tout\s+)?(?:le\s+texte|tout\s+ce\s+qui)\s+(?:\p{L}+\s+){0,4}?(?:au-dessus|ci-dessus|précède)`,
      String.raw`\brepite\s+(?:\p{L}+\s+){0,3}?(?:texto|palabras|todo)\s+(?:anterior|de\s+arriba|que\s+(?:está|aparece)\s+arriba)`,
      String.raw`\bripeti\s+(?:\p{L}+\s+){0,3}?(?:testo|parole|tutto)\s+(?:precedente|sopra|qui\s+sopra)`,
      String.raw`\brepita\s+(?:\p{L}+\s+){0,3}?(?:texto|palavras|tudo)\s+(?:anterior|acima)`,
      String.raw`\bherhaal\s+(?:\p{L}+\s+){0,3}?(?:tekst|woorden|alles)\s+(?:hierboven|boven)`,
      String.raw`повтори\s+(?:\p{L}+\s+){0,3}?(?:текст|слова|всё|все)\s+(?:выше|перед)`,
      String.raw`(?:重复|复述|输出)(?:一遍)?(?:上面|以上|之前)(?:的)?(?:所有)?(?:内容|文字|文本)`,
      String.raw`(?:上記|上|これまで)の(?:文章|テキスト|内容)を(?:そのまま)?(?:繰り返|出力|表示)`,
    ],
  },

  // Delimiters and fake turns.
  {
    id: "chat-template-tokens",
    description: "Chat-template control tokens that open a system, assistant or user turn (<|im_start|>system, [INST], <<SYS>>, Llama headers).",
    category: "delimiter-injection",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`<\|im_start\|>\s*(?:system|assistant|user|developer)`,
      String.raw`<\|start_header_id\|>\s*(?:system|assistant|user)`,
      String.raw`<\|(?:system|assistant|user|developer)\|>`,
      String.raw`<<\s*/?\s*sys\s*>>`,
      String.raw`\[/?inst\]`,
      String.raw`<start_of_turn>\s*(?:user|model|system)`,
      String.raw`<\|im_sep\|>`,
    ],
  },
  {
    id: "special-tokens",
    description: "Other model special tokens (<|endoftext|>, <|im_end|>, <|eot_id|>): rare in ordinary text, but asked about by developers.",
    category: "delimiter-injection",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`<\|(?:im_start|im_end|endoftext|eot_id|end_header_id|start_header_id|end|eom_id|begin_of_text|end_of_text|fim_prefix|fim_middle|fim_suffix|tool|im_sep)\|>`,
      String.raw`<end_of_turn>`,
    ],
  },
  {
    id: "role-tags",
    description: "XML-style role tags (<system>, </user>, <instructions>); also used innocently in configuration files and templates.",
    category: "delimiter-injection",
    weight: 4,
    match: "text",
    patterns: [String.raw`<\/?\s*(?:system|system_prompt|sys|instructions?|assistant|user|human|developer)\s*>`],
  },
  {
    id: "role-tag-boundary",
    description: "A closing tag of user or data content followed straight by an opening system or instruction tag: text trying to end its own turn.",
    category: "delimiter-injection",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`<\/\s*(?:user|human|input|data|document|context|tool_output|tool_result|tool_response|search_results?|email|query|system)\s*>\s*<\s*(?:system|assistant|instructions?|admin|developer|system_prompt)\s*>`,
    ],
  },
  {
    id: "fake-end-of-data",
    description: "Claims the data, document or tool output has ended, so that what follows reads as instructions.",
    category: "delimiter-injection",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`(?:^|[\s\[(#*=<>|-])end\s+of\s+(?:the\s+)?(?:user\s+input|input|document|tool\s+output|tool\s+result|context|data|email|file|page|search\s+results?|prompt)\s*(?:[\]#*=>|.:-]|$)`,
      String.raw`<\/\s*(?:tool_output|tool_result|tool_response|search_results?|document|context|data|function_results?)\s*>`,
    ],
  },
  {
    id: "system-override-banner",
    description: "Announces a system, admin or developer override.",
    category: "delimiter-injection",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`\b(?:begin|start|enter|initiate|activate|engage|enable)\s+(?:a\s+|the\s+)?(?:system|admin|administrator|root|developer|security|emergency)\s+override\b`,
      String.raw`\b(?:system|admin|administrator|root|security)\s+override\s*(?::|-|activated|enabled|engaged|mode|code|protocol)`,
    ],
  },
  {
    id: "turn-markers",
    description: "Lines that start like chat turns ('System:', 'Assistant:', 'User:'); also found in pasted transcripts, so weak alone.",
    category: "delimiter-injection",
    weight: 4,
    match: "text",
    patterns: [String.raw`(?:^|\n)[ \t]*(?:system|assistant|ai|user|human|bot|model)[ \t]*:`],
  },
  {
    id: "bracketed-system-marker",
    description: "A bracketed or labelled system marker ('[SYSTEM]', 'SYSTEM NOTE:', '【系统提示】') posing as a message from the platform.",
    category: "delimiter-injection",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`[\[【(]\s*(?:system|sys|system\s+(?:note|message|notice|instruction|prompt|override)|admin|developer|系统|系统提示|系统消息|システム)\s*[\]】)]`,
      String.raw`\bsystem\s+(?:note|message|instruction|instructions|prompt|override|directive|command)\s*:`,
    ],
  },
  {
    id: "instruction-header",
    description: "Markdown headers of instruction-tuning formats ('### Instruction:', '### System:', '### Response:'); a recipe may have one, so not enough alone.",
    category: "delimiter-injection",
    weight: 6,
    match: "text",
    patterns: [String.raw`(?:^|\n)[ \t]*#{2,}[ \t]*(?:new\s+)?(?:instruction|instructions|system|system\s+prompt|response|input|assistant|user)[ \t]*:`],
  },

  // Tool and message syntax.
  {
    id: "system-role-json",
    description: "A JSON system or developer role (\"role\": \"system\"), as in a chat-completion message list.",
    category: "tool-syntax-injection",
    weight: 6,
    match: "text",
    patterns: [String.raw`['"]role['"]\s*:\s*['"](?:system|developer)['"]`],
  },
  {
    id: "system-message-object",
    description: "A whole system message object (role system followed by content): a forged turn rather than a field that happens to say system.",
    category: "tool-syntax-injection",
    weight: 4,
    match: "text",
    patterns: [String.raw`['"]role['"]\s*:\s*['"](?:system|developer)['"]\s*,\s*['"]content['"]\s*:`],
  },
  {
    id: "tool-call-markup",
    description: "Tool- or function-call markup (<tool_call>, \"tool_calls\":, \"function_call\":) that imitates the model's own tool calls.",
    category: "tool-syntax-injection",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`<\/?\s*(?:tool_call|tool_calls|tool_use|function_call|function_calls|tool_code|invoke)\b`,
      String.raw`['"](?:tool_calls|function_call|tool_use)['"]\s*:`,
      String.raw`['"]type['"]\s*:\s*['"]function['"]`,
    ],
  },
  {
    id: "tool-call-json",
    description: "A JSON object naming a tool and its arguments.",
    category: "tool-syntax-injection",
    weight: 6,
    match: "text",
    patterns: [String.raw`['"]name['"]\s*:\s*['"][\w.-]{1,64}['"]\s*,\s*['"](?:arguments|parameters|input|args)['"]\s*:`],
  },

  // Hidden text in markup.
  {
    id: "hidden-html-text",
    description: "Markup that hides text from a human reader (display:none, zero font size, white text, hidden attribute, markdown comments).",
    category: "hidden-or-encoded-payload",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`display\s*:\s*none`,
      String.raw`visibility\s*:\s*hidden`,
      String.raw`font-size\s*:\s*0(?![.\d])`,
      String.raw`opacity\s*:\s*0(?![.\d])`,
      String.raw`color\s*:\s*(?:white|#fff(?:fff)?|transparent)\b`,
      String.raw`<[a-z][\w-]*\s[^>]{0,80}?\bhidden\b`,
      String.raw`\[\/\/\]:\s*#`,
    ],
  },
  {
    id: "hidden-comment-instruction",
    description: "An HTML or markdown comment that speaks of instructions, the system or an AI.",
    category: "hidden-or-encoded-payload",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`<!--[^>]{0,400}?\b(?:ignore|disregard|forget|instructions?|assistant|ai|llm|system|model|prompt|ki|ia)\b`,
      String.raw`<!--[^>]{0,400}?(?:指示|指令|助手|アシスタント|ИИ|ассистент)`,
      String.raw`\[\/\/\]:\s*#\s*[("][^)\n]{0,200}?\b(?:ignore|disregard|forget|reveal|system|instructions?|assistant|ai|prompt)\b`,
    ],
  },
  {
    id: "hidden-comment-to-ai",
    description: "An HTML comment that opens by addressing the AI or the system ('<!-- assistant: ...').",
    category: "hidden-or-encoded-payload",
    weight: 10,
    match: "text",
    patterns: [
      String.raw`<!--\s*@?(?:ai|assistant|agent|bot|llm|system|model|ki|ia|chatbot|gpt|copilot)(?:[\s-]+(?:assistant|assistent|assistente|asistente|agent|model))?\s*[:,]`,
    ],
  },
  {
    id: "decode-and-follow",
    description: "Asks the model to decode or translate something and then follow or execute it.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:decode|decrypt|decipher|translate|convert|interpret|apply|unscramble|read)\p{L}*\s+(?:[\p{L}\p{N}]+[,.]?\s+){0,4}?(?:and|then)\s+(?:[\p{L}]+\s+){0,2}?(?:follow|obey|execute|run|do|carry\s+out|act\s+on|comply)\b`,
      String.raw`\b(?:decodifica|decodifique|dekodiere|entschlüssele|décode|décodez|decodifichi)\p{L}*\s+(?:\p{L}+\s+){0,2}?(?:y|und|et|e|en)\s+(?:ejecuta|ejecútalo|sigue|führe|befolge|exécute|suis|esegui|segui|execute|siga|voer)`,
    ],
  },

  // Text in tool results that speaks to the agent.
  {
    id: "addressed-to-ai",
    description: "Data that addresses the AI reading it ('note to the AI', 'if you are an AI', 'AI assistants reading this'): a tool result has no reason to.",
    category: "agent-directed-instruction",
    weight: 10,
    match: "text",
    appliesTo: "tool-result",
    patterns: [
      String.raw`\b(?:note|message|instructions?|attention|important|reminder|notice|hint|directive|command|request|ps)\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+|every\s+)?(?:\p{L}+\s+)?${aiNoun}\b`,
      String.raw`\b${aiNoun}\s+(?:that\s+(?:is|are)\s+|who\s+(?:is|are)\s+|is\s+|are\s+)?(?:reading|processing|summari[sz]ing|parsing|analy[sz]ing|viewing|triaging|crawling|browsing|scanning|seeing|ingesting)\s+(?:this|these|the\s+(?:following|above))\b`,
      String.raw`\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|artificial|assistant|agent|bot|chatbot|llm|(?:large\s+)?language\s+model|automated|gpt|model)\b`,
      String.raw`\b(?:attention|hey|dear|hello|hi|important|note|warning|notice)\s*[,:!]?\s+(?:to\s+)?(?:the\s+|any\s+|all\s+)?(?:ai|assistant|agent|bot|chatbot|llm|(?:large\s+)?language\s+model|gpt|copilot)s?\s*[,:!]`,
      String.raw`(?:^|[\n"'(\[{,;.!?][ \t]*)(?:assistant|ai\s+assistant|ai\s+agent|ai\s+model|ai\s+coding\s+assistant|llm|language\s+model)\s*,`,
      String.raw`(?:^|[\n"'(\[{,;.!?>-][ \t]*)(?:ai\s+(?:assistant|agent|model|coding\s+assistant|language\s+model)|llm|language\s+model|chatbot)\s*:`,
      String.raw`@(?:assistant|ai|bot|agent|copilot|gpt|llm)\b`,
      String.raw`\b(?:to|for)\s+the\s+(?:ai|assistant|agent|bot|model|llm|chatbot)\s+(?:that|who|which)\s+(?:reads|is\s+reading|processes|summari[sz]es|sees|monitors|parses)\b`,
      String.raw`\bwhen\s+you\s+(?:read|process|see|summari[sz]e|parse|open|load|ingest|encounter|render)\s+(?:this|these)\b`,
      String.raw`\b(?:the\s+)?(?:assistant|ai\s+assistant|ai\s+agent)\s+(?:should|must|shall|needs\s+to|has\s+to)\b`,
      String.raw`\bhidden\s+(?:instruction|instructions|command|prompt|message)\s*:`,
      String.raw`\b(?:hinweis|nachricht|anweisung|anweisungen|notiz|befehl)\s+(?:an|für)\s+(?:den\s+|die\s+|das\s+)?(?:ki|ki-assistenten|ki-assistent|assistenten|bot|chatbot|sprachmodell|ki-agenten)\b`,
      String.raw`\ban\s+die\s+ki\b`,
      String.raw`\bki-(?:assistent|agent)\p{L}*\s*[:,]`,
      String.raw`\bwenn\s+du\s+eine\s+ki\s+bist\b`,
      String.raw`\b(?:note|message|instruction|consigne|remarque)s?\s+(?:pour|à)\s+(?:l'|le\s+|la\s+)?(?:assistant|ia|agent|bot|modèle|chatbot)\b`,
      String.raw`\bassistant\s+ia\s*[:,]`,
      String.raw`\bsi\s+(?:tu\s+es|vous\s+êtes|eres|sei)\s+una?\s+(?:ia|ai)\b`,
      String.raw`\b(?:instrucción|instrucciones|nota|mensaje)\s+(?:para|al?)\s+(?:el\s+|la\s+)?(?:asistente|ia|agente|bot|modelo)\b`,
      String.raw`\basistente\s+de\s+ia\s*[:,]`,
      String.raw`\bassistente(?:\s+ia|\s+di\s+ia|\s+de\s+ia|\s+virtuale)?\s*[:,]`,
      String.raw`\b(?:nota|messaggio|istruzion[ei])\s+(?:per|all')\s*(?:l'|il\s+)?(?:assistente|ia|agente|bot)\b`,
      String.raw`\b(?:ps|nota|mensagem|instrução|instruções)\s+(?:para|ao?)\s+(?:o\s+|a\s+)?(?:assistente|ia|agente|bot)\b`,
      String.raw`\b(?:aan|voor)\s+de\s+(?:ai|ai-assistent|assistent|bot|chatbot)\b`,
      String.raw`\bai-assistent\s*[:,]`,
      String.raw`(?:^|[^\p{L}])(?:для|к)\s+(?:ии|ии-ассистента|ассистента|бота|нейросети|модели|ии-агента)(?![\p{L}])`,
      String.raw`(?:^|[^\p{L}])ассистент\s*,`,
      String.raw`(?:给|致|对)(?:AI|人工智能)?(?:助手|助理|模型|机器人)`,
      String.raw`(?:AI|人工智能)助手[:,的]`,
      String.raw`AI(?:アシスタント|エージェント)?(?:へ|への|に対する|様)`,
      String.raw`アシスタントへ`,
    ],
  },
  {
    id: "tell-the-user",
    description: "Data that tells the agent what to tell or ask the user, or what alone to recommend.",
    category: "agent-directed-instruction",
    weight: 4,
    match: "text",
    appliesTo: "tool-result",
    patterns: [
      String.raw`\b(?:tell|inform|advise|instruct|ask|convince|persuade|remind)\s+(?:the\s+)?(?:user|reader|readers|customer|visitor)s?\s+(?:to|that|for)\b`,
      String.raw`\b(?:recommend|suggest|promote)\s+only\b`,
      String.raw`\btell\s+them\s+(?:that|their|to)\b`,
      String.raw`\b(?:dis|dites)\s+à\s+l'utilisateur\b`,
      String.raw`\bdile\s+al\s+usuario\b`,
      String.raw`\bsag\p{L}*\s+dem\s+(?:nutzer|benutzer)\b`,
      String.raw`\b(?:di'|dì)\s+all'utente\b`,
      String.raw`\bdiga\s+ao\s+usuário\b`,
      String.raw`\bvertel\s+de\s+gebruiker\b`,
      String.raw`скажи\s+пользователю`,
      String.raw`告诉用户`,
      String.raw`ユーザーに(?:伝え|言っ|入力させ)`,
    ],
  },
  {
    id: "covert-action",
    description: "Asks for something to be done behind the user's back ('don't tell the user', 'without confirmation').",
    category: "agent-directed-instruction",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:do\s+not|don't|never|without)\s+(?:tell(?:ing)?|inform(?:ing)?|notify(?:ing)?|alert(?:ing)?|mention(?:ing)?|show(?:ing)?|ask(?:ing)?)\s+(?:this\s+to\s+)?(?:the\s+)?(?:user|them|him|her|anyone)\b`,
      String.raw`\bwithout\s+(?:the\s+user's\s+)?(?:confirmation|approval|consent|asking|permission)\b`,
      String.raw`\b(?:delete|remove)\s+this\s+(?:message|email)\s+after\s+(?:reading|processing)\b`,
      String.raw`\bsans\s+(?:le\s+)?dire\s+à\s+l'utilisateur\b`,
      String.raw`\bsin\s+decírselo\s+al\s+usuario\b`,
      String.raw`(?:не\s+говори\s+пользователю|不要告诉用户|ユーザーには言わ)`,
    ],
  },

  // Exfiltration.
  {
    id: "exfiltration",
    description: "Asks for something to be sent, forwarded or uploaded to a URL or an email address.",
    category: "data-exfiltration",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:send|forward|email|e-mail|mail|post|upload|export|transfer|leak|exfiltrate|share|copy|append|submit|transmit|sync)\b[^.\n]{0,80}?\s(?:to|at)\s+(?:https?:\/\/|[\w.+-]+@[\w-]+\.)`,
      String.raw`(?:sende|leite|schicke|envoie|transfère|envía|reenvía|invia|inoltra|envie|encaminhe|stuur|отправь|перешли|发送|发到|送信|転送)[^.\n]{0,80}?(?:https?:\/\/|[\w.+-]+@[\w-]+\.)`,
    ],
  },
  {
    id: "markdown-image-exfiltration",
    description: "A markdown image whose URL carries a placeholder for data ({history}, $SECRET, USER_DATA): rendering it would send the data away.",
    category: "data-exfiltration",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`!\[[^\]\n]{0,200}\]\(\s*https?:\/\/[^)\s]{1,300}?[?&][\w-]{1,40}=(?:\{[^}\s]{1,60}\}|\$\{?[\w-]{1,60}|\[[^\]\s]{1,60}\]|<[\w-]{1,60}>|[a-z]+_[a-z_]+)`,
    ],
  },
  {
    id: "image-exfiltration-instruction",
    description: "Asks for an image or link to be rendered with the conversation, secrets or user data in it.",
    category: "data-exfiltration",
    weight: 6,
    match: "text",
    patterns: [
      String.raw`\b(?:render|include|display|show|load|embed|insert|output)\s+(?:this|the|that|an?)\s+(?:\p{L}+\s+)?(?:image|picture|pixel|link|url)\b[^.\n]{0,100}?\b(?:history|conversation|chat|api\s+keys?|secrets?|tokens?|passwords?|credentials|personal\s+data|user's|messages)\b`,
      String.raw`\breplace\s+[\w{}$<>\[\]-]{2,60}\s+with\s+(?:the\s+)?(?:user's|your|the\s+user's)\s+(?:\p{L}+\s+)?(?:api\s+keys?|password|token|secret|email|address|history|data)\b`,
    ],
  },
  {
    id: "sensitive-user-data",
    description: "Mentions the user's passwords, keys, tokens, card numbers, messages or files: the things an injection wants.",
    category: "data-exfiltration",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`\b(?:the\s+)?(?:user|customer|owner|victim)(?:'s|s')\s+(?:\p{L}+\s+|\d+\s+){0,2}(?:passwords?|credentials|api\s+keys?|session\s+tokens?|tokens?|secrets?|credit\s+card(?:\s+number)?|card\s+numbers?|home\s+address|address|emails?|e-mails?|chat\s+history|conversation|contacts?|files|documents|location|calendar|personal\s+data|phone\s+number|ssn)\b`,
      String.raw`\b(?:chat|conversation)\s+history\b`,
      String.raw`\b(?:passwort|kennwort)\s+des\s+(?:nutzers|benutzers)\b`,
      String.raw`\bmot\s+de\s+passe\s+de\s+l'utilisateur\b`,
      String.raw`\b(?:contraseña|senha)\s+d[eo]l?\s+(?:usuario|usuário)\b`,
      String.raw`\bpassword\s+dell'utente\b`,
      String.raw`\bwachtwoord\s+van\s+de\s+gebruiker\b`,
      String.raw`пароль\s+пользователя`,
      String.raw`用户的(?:密码|聊天记录|信用卡|邮件|文件)`,
      String.raw`ユーザーの(?:パスワード|カード|メール)`,
    ],
  },
  {
    id: "dangerous-command",
    description: "A destructive or remote-code shell command (rm -rf, curl | sh, DROP TABLE).",
    category: "agent-directed-instruction",
    weight: 4,
    match: "text",
    patterns: [
      String.raw`\brm\s+-(?:rf|fr)\b`,
      String.raw`\b(?:curl|wget)\b[^|\n]{0,200}\|\s*(?:ba|z)?sh\b`,
      String.raw`\bdrop\s+(?:table|database)\b`,
      String.raw`\bformat\s+c:`,
      String.raw`\bchmod\s+(?:-r\s+)?777\b`,
      String.raw`\bmkfs\b`,
    ],
  },

  // Encoded payloads: runs that decode to text some rule above catches.
  {
    id: "base64-payload",
    description: "A base64 run that decodes to text matching an injection rule.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "payload",
    decoder: "base64",
    patterns: [String.raw`(?<![\w+\/=-])[A-Za-z0-9+\/_-]{16,4096}={0,2}`],
  },
  {
    id: "hex-payload",
    description: "A run of hex bytes (plain, spaced, 0x or \\x) that decodes to text matching an injection rule.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "payload",
    decoder: "hex",
    patterns: [
      String.raw`(?<![0-9a-z])(?:[0-9a-f]{2}){12,2048}`,
      String.raw`(?:\\x[0-9a-f]{2}){8,2048}`,
      String.raw`(?<![0-9a-z])(?:0x)?[0-9a-f]{2}(?:[\s,:]{1,3}(?:0x)?[0-9a-f]{2}){7,2047}(?![0-9a-z])`,
    ],
  },
  {
    id: "url-encoded-payload",
    description: "A percent-encoded run that decodes to text matching an injection rule.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "payload",
    decoder: "url",
    patterns: [String.raw`(?:%[0-9a-f]{2}[\w.~+-]{0,24}){4,1024}`],
  },
  {
    id: "rot13-payload",
    description: "A run of Latin letters that, rotated by 13, reads as text matching an injection rule.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "payload",
    decoder: "rot13",
    patterns: [String.raw`(?<![a-z])[a-z][a-z ,.'!?;:"-]{15,4096}`],
  },
  {
    id: "unicode-tag-payload",
    description: "Hidden Unicode tag characters that spell out text matching an injection rule.",
    category: "hidden-or-encoded-payload",
    weight: 6,
    match: "payload",
    decoder: "unicode-tags",
    patterns: [String.raw`[\u{E0000}-\u{E007F}]{4,4096}`],
  },
];
