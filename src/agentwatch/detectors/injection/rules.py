"""The heuristic rules: one table row per known attack pattern, in English, Polish, German, Spanish,
French (plus Italian and Portuguese where the phrasing is shared), written against normalised text
(lower-cased, accents removed, disguises undone: see :mod:`.normalize`).

Each rule names its family, a score (how sure a match alone makes us, checked on the validation
split), trigger words, and the regex. Triggers are a cheap pre-filter (most texts skip most rules):
groups separated by ``|``, each group a list of words of which at least one must occur in the text
(or, for a fragment that is not a word, as a substring) before the regex is tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    family: str  # instruction_override | prompt_extraction | jailbreak | indirect_injection | obfuscation
    score: float
    triggers: tuple[frozenset[str], ...]  # every group must have a word in the text
    pattern: re.Pattern[str]


_G = r"(?:[\w'’,-]+\s+){0,%d}?"  # a gap of up to N words


def _gap(n: int) -> str:
    return _G % n


_OVERRIDE_VERBS = (
    r"ignore|ignoring|disregard|disregarding|forget|neglect|neglecting|override|bypass|dismiss|overlook"
    r"|nevermind|never mind"
)
# Verbs of everyday operations ("delete all messages", "cancel the tasks"): only with instruction nouns.
_DROP_VERBS = r"skip|discard|drop|abandon|ditch|erase|delete|cancel|scrap"
_INSTRUCTION_NOUNS = (
    r"instructions?|prompts?|directions?|directives?|rules?|guidelines?|guidance|programming|constraints?"
    r"|restrictions?"
)
_EARLIER = (
    r"previous|previously|prior|above|preceding|earlier|former|foregoing|original|initial|old|past|before"
    r"|given|provided|existing|all|any|every|system|developer|safety|those|these"
)
_DIRECTIVES = (
    r"instructions?|prompts?|directions?|directives?|commands?|rules?|guidelines?|guidance|context|messages?"
    r"|constraints?|restrictions?|programming|orders?|text|content|conversation|inputs?|tasks?|information"
    r"|everything|policies|policy|requests?|statements?|words"
)
_CONTENT = r"document|webpage|page|website|email|e-mail|mail|text|article|code|function|file|review|summary|content|data|message|comment|above|below|question|query|task|request|post|story|tweet|input"
_SAY = r"state|say|respond|reply|output|print|write|tell|answer|claim|return|instead|display|type|repeat"
_AI = r"ai|a\.i\.|assistant|llm|language model|chatbot|chat bot|gpt|chatgpt|claude|gemini|bot|model|copilot|agent"
_REVEAL = (
    r"reveal|show|print|output|repeat|display|tell|give|share|leak|disclose|write|dump|recite|spell|list"
    r"|expose|paste|echo|provide|return|copy|read|state|type|what"
)
_SECRET_PROMPT = (
    r"system prompt|system message|system instructions?|initial prompt|initial instructions?|original prompt"
    r"|original instructions?|hidden (?:prompt|instructions?)|secret (?:prompt|instructions?)|pre-?prompt"
    r"|instructions? (?:you were|you have been|you've been) given|prompt (?:you were|you have been) given"
    r"|developer (?:message|prompt|instructions?)|(?<=your )(?:instructions|prompt|rules|guidelines|directives)"
    r"|(?<=ur )(?:instructions|prompt|rules)|(?:instructions|prompt|rules) (?:above|you (?:got|received))"
)


def _rule(family: str, score: float, triggers: str, pattern: str) -> Rule:
    groups = tuple(frozenset(group.split()) for group in triggers.split("|"))
    return Rule(family, score, groups, re.compile(pattern))


RULES: tuple[Rule, ...] = (
    # ---- instruction override -------------------------------------------------------------------
    _rule(
        "instruction_override",
        0.95,
        "ignore ignoring disregard disregarding forget neglect neglecting override bypass dismiss overlook "
        "nevermind never",
        rf"\b(?:{_OVERRIDE_VERBS})\s+(?:about\s+|of\s+)?{_gap(3)}(?:{_EARLIER})\s+{_gap(2)}(?:{_DIRECTIVES})\b",
    ),
    _rule(
        "instruction_override",
        0.9,
        "skip discard drop abandon ditch erase delete cancel scrap | instructions instruction prompt prompts "
        "directions directives rules rule guidelines guidance programming constraints restrictions",
        rf"\b(?:{_DROP_VERBS})\s+{_gap(3)}(?:{_EARLIER})\s+{_gap(2)}(?:{_INSTRUCTION_NOUNS})\b",
    ),
    _rule(
        "instruction_override",
        0.9,
        "forget ignore disregard",
        r"\b(?:forget|ignore|disregard)\s+(?:about\s+)?(?:everything|all(?: of)? that|all of the above|what (?:i|you|we) (?:said|told|discussed|wrote))\b",
    ),
    _rule(
        "instruction_override",
        0.85,
        "new updated real actual revised true different | instructions instruction tasks task rules rule "
        "directives directive orders order",
        r"\b(?:new|updated|real|actual|revised|true|different)\s+(?:instructions?|tasks?|rules?|directives?|orders?)\s*(?::|follow|are\b|is\b)",
    ),
    _rule(
        "instruction_override",
        0.8,
        "now instead from | you your | will must shall should are task job goal purpose",
        r"\b(?:from now on|instead|now)\b[\s,]+(?:you\s+(?:will|must|shall|should|are to)|your (?:only |new )?(?:task|job|goal|purpose) is)\b",
    ),
    _rule(
        "instruction_override",
        0.85,
        "follow obey listen adhere comply",
        r"\b(?:do not|don'?t|never|stop)\s+(?:follow|obey|listen to|adhere to|comply with)\s+(?:any\s+|all\s+)?(?:the|your|those|these|my|its|their)?\s*(?:previous|prior|original|earlier|above|system|initial)?\s*(?:instructions?|rules?|prompts?|guidelines?|directives?|information|orders|commands)\b",
    ),
    _rule(
        "instruction_override",
        0.85,
        "precedence priority override overrides supersede supersedes",
        r"\b(?:take|takes|taking|has|have|with)\s+(?:the\s+)?(?:highest|top|absolute|first)\s+(?:precedence|priority)\b|\b(?:overrides?|supersedes?)\s+(?:all|any|every)\s+(?:previous|prior|other)\b",
    ),
    _rule(
        "instruction_override",
        0.9,
        "ignore disregard forget override bypass | your",
        r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:all\s+)?(?:of\s+)?your\s+(?:\w+\s+)?(?:instructions|rules|guidelines|programming|directives|restrictions|constraints|training|prompt|system prompt|policies)\b",
    ),
    _rule(
        "instruction_override",
        0.85,
        "forgotten forget",
        r"\b(?:pretend|act as if|imagine|assume)\s+(?:to have|you have|you've|that you have|you had)\s+(?:completely\s+)?(?:forgotten|forgot)\s+(?:about\s+)?(?:all\s+)?(?:of\s+)?(?:the|your)?\s*(?:rules|instructions|guidelines|training|restrictions|programming)\b",
    ),
    # Polish
    _rule(
        "instruction_override",
        0.95,
        "zignoruj ignoruj zapomnij pomin olej lekcewaz",
        rf"\b(?:zignoruj|ignoruj|zapomnij|pomin|olej|zlekcewaz|lekcewaz)\s+(?:o\s+)?{_gap(2)}(?:poprzedni\w*|wczesniejsz\w*|powyzsz\w*|wszystk\w*|dotychczasow\w*|swoj\w*|te|tamte)\s+{_gap(2)}(?:instrukcj\w*|polecen\w*|zasad\w*|regul\w*|wytyczn\w*|komend\w*|rozkaz\w*|wiadomos\w*)",
    ),
    _rule(
        "instruction_override",
        0.85,
        "zapomnij zignoruj",
        r"\b(?:zapomnij|zignoruj)\s+(?:o\s+)?(?:wszystkim|wszystko|tym co|to co)\b",
    ),
    _rule(
        "instruction_override",
        0.8,
        "teraz nowe nowa nowy",
        r"\b(?:od teraz|od tej chwili|teraz)\s+(?:jestes|bedziesz|masz|musisz)\b|\bnowe\s+(?:instrukcje|polecenia|zadanie)\s*:",
    ),
    # German
    _rule(
        "instruction_override",
        0.95,
        "ignoriere ignorier ignorieren vergiss vergessen missachte missachten uberspringe",
        rf"\b(?:ignorier\w*|vergiss|vergessen\s+sie|missachte\w*|uberspring\w*)\s+{_gap(2)}(?:vorherig\w*|vorig\w*|bisherig\w*|obig\w*|fruher\w*|vorangegangen\w*|vorangehend\w*|alle\w*|deine\w*|ihre\w*|die|samtlich\w*)\s+{_gap(2)}(?:anweisung\w*|instruktion\w*|befehl\w*|regeln|anordnung\w*|vorgaben|aufgaben?|informationen|nachrichten|prompts?)",
    ),
    _rule(
        "instruction_override",
        0.9,
        "vergiss ignoriere",
        r"\b(?:vergiss|ignoriere)\s+(?:alles|das alles|alles davor|alles bisherige|alles vorherige|alles was)\b",
    ),
    _rule(
        "instruction_override",
        0.8,
        "jetzt sofort nun neue",
        r"\b(?:ab jetzt|ab sofort|von nun an|nun|jetzt)\s+(?:bist du|sollst du|musst du|wirst du)\b|\bneue\s+(?:anweisungen|aufgabe|aufgaben|befehle)\s*(?::|folgen)",
    ),
    _rule(
        "instruction_override",
        0.9,
        "ignorieren vergessen missachten | obigen obige vorherigen vorherige bisherigen bisherige vorigen "
        "vorige alle",
        r"\b(?:die\s+|alle\s+)?(?:obig\w*|vorherig\w*|bisherig\w*|vorig\w*|alle)\s+(?:ausfuhrungen|anweisungen|instruktionen|befehle|regeln|informationen|texte?)\s+(?:\w+\s+){0,2}?(?:ignorieren|vergessen|missachten)\b",
    ),
    # Spanish / Italian / Portuguese
    _rule(
        "instruction_override",
        0.95,
        "ignora ignore ignorar olvida olvidate descarta omite dimentica esqueca esquece",
        rf"\b(?:ignora\w*|ignore|olvida\w*|descarta|omite|dimentica|esquec[ae])\s+{_gap(1)}(?:las|todas|tus|sus|le|tutte|as|todas as|os)?\s*{_gap(1)}(?:instrucciones|indicaciones|ordenes|reglas|directrices|istruzioni|regole|instrucoes|regras|comandos)\s+(?:\w+\s+)?(?:anteriores|previas|precedentes|precedenti|previe|de antes|iniciales|del sistema)",
    ),
    _rule(
        "instruction_override",
        0.8,
        "partir ahora adelante",
        r"\b(?:a partir de ahora|de ahora en adelante|desde ahora|ahora)\s*,?\s+(?:eres|seras|actuaras|debes|vas a ser)\b",
    ),
    _rule(
        "instruction_override",
        0.9,
        "olvida olvide olvidate ignora ignore ignorar",
        r"\b(?:olvid[ae]\w*|ignor[ae]\w*)\s+todas\s+(?:las\s+|tus\s+|sus\s+)?instrucciones\b|\bolvid[ae]\w*\s+todo\s+(?:lo\s+)?que\s+(?:te\s+)?(?:dije|digo|he dicho|dijimos)\b",
    ),
    # Croatian / Serbian / Bosnian
    _rule(
        "instruction_override",
        0.9,
        "zaboravi ignoriraj ignorisi zanemari",
        r"\b(?:zaboravi|ignoriraj|ignorisi|zanemari)\s+(?:sve\s+)?(?:prethodne\s+|ranije\s+|svoje\s+)?(?:instrukcije|upute|uputstva|naredbe|pravila)\b",
    ),
    # French
    _rule(
        "instruction_override",
        0.95,
        "ignore ignorez ignorer oublie oubliez oublier",
        rf"\b(?:ignore[rz]?|oublie[rz]?|neglige[rz]?)\s+{_gap(1)}(?:toutes|tous|les|vos|tes|ces)?\s*{_gap(1)}(?:instructions|consignes|directives|regles|ordres|commandes|indications)\s+(?:\w+\s+)?(?:precedentes|anterieures|ci-dessus|d'avant|initiales|du systeme|donnees)",
    ),
    _rule(
        "instruction_override",
        0.8,
        "maintenant desormais partir",
        r"\b(?:a partir de maintenant|desormais|maintenant)\s*,?\s+(?:tu es|tu seras|vous etes|tu dois|vous devez)\b",
    ),
    # ---- system prompt extraction -----------------------------------------------------------------
    _rule(
        "prompt_extraction",
        0.9,
        "reveal show print output repeat display tell give share leak disclose write dump recite spell list "
        "expose paste echo provide return copy read state type what | prompt message instructions "
        "instruction preprompt rules guidelines directives",
        rf"\b(?:{_REVEAL})\b\s+(?:me\s+|us\s+)?{_gap(3)}(?:your|the|this|ur|thy)\s+{_gap(2)}(?:{_SECRET_PROMPT})\b",
    ),
    _rule(
        "prompt_extraction",
        0.85,
        "above before preceding prior previous beginning",
        rf"\b(?:repeat|print|output|write|show|display|recite|copy|reproduce|return|spell|give me|what (?:is|was|were))\s+{_gap(3)}(?:words|text|sentences|lines|content|everything|instructions|prompt|message|characters)\s+{_gap(3)}(?:above|before this|before the|preceding|prior to|at the beginning|in the beginning)",
    ),
    _rule(
        "prompt_extraction",
        0.8,
        "above preceding initial original first | instructions instruction prompt prompts directions rules",
        rf"\b(?:{_REVEAL})\s+(?:me\s+|us\s+)?(?:all\s+)?(?:of\s+)?(?:the|your|these|those)?\s*(?:above|preceding|initial|original|first)\s+(?:instructions?|prompts?|directions|rules)\b",
    ),
    _rule(
        "prompt_extraction",
        0.7,
        "password passcode passphrase access secret",
        rf"\b(?:what|tell|give|reveal|say|share|print|output|spell)\s+{_gap(2)}(?:the|your|this)\s+(?:secret\s+)?(?:password|passcode|passphrase|access code|secret key|secret code|secret word)\b",
    ),
    _rule(
        "prompt_extraction",
        0.85,
        "prompt prompta promptu systemowy systemowe instrukcje instrukcji systemprompt system systemanweisung "
        "systemanweisungen anweisungen instruktionen sistema systeme instrucciones instructions",
        rf"\b(?:pokaz|wypisz|podaj|powtorz|ujawnij|zdradz|jaki jest|jakie sa|zeig\w*|gib|nenne|wiederhole|verrate|was ist|was sind|muestra\w*|dime|revela\w*|repite|cual es|cuales son|montre\w*|affiche\w*|revele\w*|repete\w*|donne\w*|quel est|quelles sont|dis-moi)\s+{_gap(3)}(?:prompt\w* systemow\w*|systemow\w* prompt\w*|instrukcj\w* systemow\w*|swoje instrukcje|twoje instrukcje|system\s?prompt|systemanweisung\w*|deine anweisungen|ihre anweisungen|deine instruktionen|prompt del sistema|prompt de sistema|instrucciones del sistema|tus instrucciones|prompt systeme|prompt du systeme|instructions systeme|tes instructions|vos instructions)",
    ),
    _rule(
        "prompt_extraction",
        0.8,
        "access granted",
        r"\b(?:say|respond with|reply with|output|print|begin|start)\b[^.\n]{0,40}\baccess granted\b",
    ),
    # ---- role-play jailbreaks ---------------------------------------------------------------------
    _rule(
        "jailbreak",
        0.95,
        "dan anything jailbreak jailbroken jailbreaking jailbroke mode developer aim stan dude antigpt betterdan mongo",
        r"\bdo anything now\b|\bdeveloper mode\b|\bjailbr(?:eak|oken|eaking|oke)\b|\b(?:dan|stan|dude|aim|antigpt|betterdan) (?:mode|prompt)\b|\bmongo tom\b|\bgod mode\b|\bunrestricted mode\b|\bdan,? which stands for\b|\bstands for ['\"]?always intelligent\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "dan | anything | ai chatgpt gpt model openai limited restrictions rules policies",
        r"\bdan\b[^\n]{0,80}\b(?:can|will|could|shall) do anything\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "mode | chatgpt gpt ai claude assistant",
        r"\b(?:act as|acting as|you are|simulate|pretend to be|behave like)\s+(?:chatgpt|gpt|an? ai|the ai|claude|an? assistant)\s+with\s+[\w-]+\s+mode\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "restrictions limitations filters safeguards guardrails censorship | gpt ai model chatgpt openai assistant llm you",
        r"\b(?:override|bypass|ignore|break|remove|lift|disable|circumvent)\s+(?:the\s+|all\s+|any\s+|its\s+|your\s+)?(?:restrictions|limitations|filters|safeguards|guardrails|censorship)\s+(?:of|imposed on|placed on|set on|on)\s+(?:the\s+|your\s+)?(?:gpt|ai|model|chatgpt|openai|assistant|llm|you)\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "unfiltered uncensored amoral unrestricted unethical unbound unchained unlimited limitless immoral",
        r"\b(?:unfiltered|uncensored|amoral|unrestricted|unethical|unbound|unchained|limitless|immoral)\s+(?:and\s+\w+\s+)?(?:ai|assistant|chatbot|bot|model|version|persona|character|gpt|language model|mode|entity)\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "no without not doesn don free devoid lack lacks zero | ethical moral ethics morals content safety "
        "| guidelines restrictions constraints principles limits limitations boundaries filter filters rules "
        "policies compass considerations standards",
        r"\b(?:no|without|not have|doesn'?t have|don'?t have|free (?:of|from)|devoid of|lacks?|zero)\s+(?:any\s+)?(?:ethical|moral|ethics|morals|content|safety)\s+(?:or moral\s+|or ethical\s+)?(?:guidelines|restrictions|constraints|principles|limits|limitations|boundaries|filters?|rules|policies|compass|considerations|standards)\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "bound restricted limited constrained",
        rf"\b(?:not|no longer|never|isn'?t|aren'?t|are not|is not)\s+(?:be\s+)?(?:bound|restricted|limited|constrained|governed)\s+by\s+{_gap(3)}(?:rules|guidelines|policies|restrictions|openai|anthropic|ethics|morals|laws|filters|programming|content polic\w*|terms)\b",
    ),
    _rule(
        "jailbreak",
        0.9,
        "content safety openai anthropic ethical moral usage | policy policies filter filters guidelines "
        "safeguards restrictions measures",
        rf"\b(?:ignore|ignores|bypass|bypasses|disable|disables|circumvent|override|without|evade)\s+{_gap(2)}(?:content|safety|openai|anthropic|ethical|moral|usage)\s+(?:policy|policies|filters?|guidelines|safeguards|restrictions|measures)\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "never don do must cannot can will won shall | refuse decline apologize apologise warnings disclaimers "
        "moralize lecture phrases",
        r"\b(?:never|don'?t|do not|must not|cannot|can'?t|will not|won'?t|shall not)\s+(?:ever\s+)?(?:refuse|decline|say no|apologi[sz]e|include (?:any )?(?:warnings|disclaimers)|add (?:any )?(?:warnings|disclaimers)|moralize|lecture)\b|\bnever (?:ever )?(?:use|say|include) (?:phrases|words|sentences) like\b",
    ),
    _rule(
        "jailbreak",
        0.6,
        "stay break breaking opposite evil dark shadow uncensored | character persona twin ego confidant mode "
        "chatgpt",
        r"\bstay in character\b|\b(?:break|breaking) character\b|\bopposite (?:mode|persona|of chatgpt)\b|\b(?:evil|dark|shadow|uncensored) (?:twin|alter ego|persona|confidant)\b",
    ),
    _rule(
        "jailbreak",
        0.6,
        "now | you youre",
        r"\byou are now (?:a|an|in|the|my|free|no longer|unrestricted|going|called|named)\b|\byou'?re now (?:a|an|in|free|no longer|called)\b",
    ),
    _rule(
        "jailbreak",
        0.8,
        "questionable unethical illegal harmful even",
        r"\beven (?:if|though) (?:it(?:'s| is)|the (?:request|question|content) is|they are)\s+(?:\w+\s+){0,3}(?:questionable|unethical|illegal|harmful|immoral|dangerous|offensive)\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "mode | enabled activated engaged unlocked",
        r"\b(?:admin|administrator|developer|god|sudo|unrestricted|jailbreak|dan|evil|unfiltered)\s+mode\b\s*(?:is\s+(?:now\s+)?)?(?:enabled|activated|engaged|unlocked)\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "start begin | sure absolutely certainly course here",
        r"\b(?:start|begin)\s+(?:your|the|each)?\s*(?:response|reply|answer|output|message)s?\s+with\s+[\"'“‘]?\s*(?:sure|absolutely|certainly|of course|here is|here's|here are)\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "imagine pretend vor act | evil bose malicious unfiltered uncensored unrestricted rogue",
        r"\b(?:imagine|pretend|stell dir vor|act as if)\s*,?\s+(?:that\s+)?(?:you are|you're|du bist|du warst)\s+(?:an?\s+|eine?\s+)?(?:evil|bose|malicious|unfiltered|uncensored|unrestricted|rogue)\s+(?:ki|ai|assistant|chatbot|bot|language model)\b",
    ),
    _rule(
        "jailbreak",
        0.8,
        "jestes bist eres tu",
        r"\b(?:jestes teraz|teraz jestes|du bist jetzt|ahora eres|tu es maintenant|tu es desormais)\b",
    ),
    _rule(
        "jailbreak",
        0.8,
        "ohne sin sans bez",
        r"\b(?:ohne (?:jegliche |alle |irgendwelche )?(?:einschrankungen|filter|zensur|regeln|moral)|sin (?:ninguna |ningun )?(?:restricciones|filtros|censura|limites|moral)|sans (?:aucune |aucun )?(?:restrictions|filtres|censure|limites|morale)|bez (?:zadnych )?(?:ograniczen|cenzury|filtrow|zasad))\b",
    ),
    # ---- indirect injection (addressed to the model inside content) ------------------------------
    _rule(
        "indirect_injection",
        0.9,
        "note attention important message instructions instruction notice reminder memo hint | ai a.i. assistant "
        "llm language chatbot chat gpt chatgpt claude gemini bot model copilot agent",
        rf"\b(?:note|attention|important|message|instructions?|notice|reminder|memo|hint)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?(?:{_AI})s?\b",
    ),
    _rule(
        "indirect_injection",
        0.85,
        "reading processing summarizing summarising analyzing analysing reads processes summarizes",
        rf"\b(?:if you are|if you're|you are|dear|hey|to)\s+(?:an?\s+|the\s+)?(?:{_AI})s?\s+(?:reading|processing|summari[sz]ing|analy[sz]ing|that reads|who reads|parsing)\b|\b(?:{_AI})s?\s+(?:reading|processing|summari[sz]ing|analy[sz]ing)\s+this\b",
    ),
    _rule(
        "indirect_injection",
        0.85,
        "ignore disregard",
        rf"\b(?:ignore|disregard)\s+(?:the|this|that|my|all|any)?\s*(?:{_CONTENT})\b[\s,]+(?:and|but|then|,)?\s*(?:instead\s+)?(?:{_SAY})\b",
    ),
    _rule(
        "indirect_injection",
        0.85,
        "im_start im_end inst sys system endoftext assistant",
        r"<\|(?:im_start|im_end|system|endoftext|assistant|user)\|>|\[/?inst\]|<</?sys>>|</?(?:system|system_prompt|instructions?)>",
    ),
    _rule(
        "indirect_injection",
        0.7,
        "system instruction instructions admin end",
        r"(?:^|\n)\s*(?:#{1,4}|\*\*|\[|-{2,})\s*(?:system|new instructions?|admin|developer|end of (?:user )?(?:input|prompt|document|context|text))\b",
    ),
    _rule(
        "indirect_injection",
        0.8,
        "display visibility font-size opacity color",
        r"<[a-z]+[^>]{0,200}(?:display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*0(?:px)?\b|opacity\s*:\s*0(?:\.0+)?\b|color\s*:\s*(?:white|#fff(?:fff)?)\b)",
    ),
    _rule(
        "indirect_injection",
        0.85,
        "<!--",
        rf"<!--[^>]{{0,400}}?\b(?:ignore|disregard|instead|you must|you should|do not|assistant|{_SAY})\b",
    ),
    _rule(
        "indirect_injection",
        0.8,
        "send forward email post upload transmit exfiltrate leak include | conversation chat history password "
        "passwords credentials api key keys token tokens cookies personal user private contacts",
        rf"\b(?:send|forward|email|e-mail|post|upload|transmit|exfiltrate|leak)\s+{_gap(3)}(?:conversation|chat history|history|password|passwords|credentials|api keys?|tokens?|cookies|personal data|user data|private data|contacts)\s+(?:\w+\s+){{0,3}}to\s+(?:https?://|\S+@|this|the following|my|attacker)",
    ),
    _rule(
        "indirect_injection",
        0.85,
        "![",
        r"!\[[^\]]*\]\(https?://[^)\s]*[?&][^)\s]*=(?:\{|\[|\$|%7b)",
    ),
    # ---- techniques from a published taxonomy (CyberSecEval 2's prompt-injection variants: system
    # mode, persuasion by claimed authority, hypothetical scenarios, extraction of a secret the
    # system prompt guards, output-formatting tricks), written from the paper's descriptions, not
    # from its test set; none matches a training or validation benign text. ("Begin by replying
    # with 'Sure'" is not a rule: benign WildGuard prompts in the training and validation splits
    # use it too.)
    _rule(
        "jailbreak",
        0.85,
        "mode | now entered enter switch activate",
        r"\b(?:you are now in|you're now in|you are now operating in|you have (?:now )?entered|you (?:will|must|shall) (?:now )?(?:enter|switch to|activate))\s+(?:the\s+|a\s+)?(?:debug|maintenance|admin|administrator|god|root|sudo|unrestricted|superuser|diagnostic|system)\s+mode\b",
    ),
    _rule(
        "jailbreak",
        0.85,
        "authorize authorise permit allow permission grant | ignore bypass override disregard break violate",
        r"\b(?:i|we)\s+(?:hereby\s+|now\s+)?(?:authori[sz]e|permit|allow|give you permission|grant you permission|am authori[sz]ing)\s+(?:you\s+)?to\s+(?:ignore|bypass|override|disregard|break|violate)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your|the|these|those)\s+(?:\w+\s+)?(?:rules|guidelines|instructions|restrictions|policies|programming|safeguards|filters)\b",
    ),
    _rule(
        "jailbreak",
        0.8,
        "hypothetical fictional imaginary alternate parallel | no without",
        rf"\b(?:hypothetical|fictional|imaginary|alternate|parallel)\s+(?:world|universe|scenario|reality)\s+(?:where|in which)\s+(?:you|ais?|an ai|the ai|assistants?|chatbots?|language models?|llms?)\s+{_gap(3)}(?:no|without(?: any)?)\s+(?:rules|restrictions|limits|ethics|filters|guidelines|censorship|safeguards)\b",
    ),
    _rule(
        "prompt_extraction",
        0.85,
        "ignore forget disregard override bypass | password passcode passphrase secret",
        r"\b(?:ignore|forget|disregard|override|bypass)\b[^\n]{0,120}?\b(?:reveal|tell me|tell us|give me|share|disclose|print|spell out|spell|what is|what's|say)\s+(?:the|your)\s+(?:secret\s+)?(?:password|passcode|passphrase|secret key|secret code|secret word)\b",
    ),
    _rule(
        "prompt_extraction",
        0.85,
        "spell write print reverse say | password passcode passphrase secret key",
        r"\b(?:spell|write|print|reverse|say)\s+(?:out\s+)?(?:the|your)\s+(?:secret\s+)?(?:password|passcode|passphrase|secret key|secret code|secret word)\s+(?:backwards|in reverse|reversed|letter by letter|one letter at a time|character by character|with (?:spaces|dashes|dots) between)\b",
    ),
    _rule(
        "prompt_extraction",
        0.85,
        "what tell reveal share give say print repeat | password passcode passphrase secret key code word "
        "| given told hiding protecting keeping guarding supposed instructions prompt share reveal tell",
        r"\b(?:what is|what's|tell me|reveal|share|give me|say|print|repeat)\s+(?:the|your)\s+(?:secret\s+)?(?:password|passcode|passphrase|secret key|secret code|secret word)\s+(?:that\s+)?(?:you (?:were|have been) (?:given|told)|you(?:'re| are) (?:hiding|protecting|keeping|guarding|not supposed to (?:share|reveal|tell|say))|in your (?:instructions|system prompt|prompt)|you (?:can'?t|cannot|must not|shouldn'?t) (?:share|reveal|tell|say))",
    ),
    # ---- obfuscation instructions -----------------------------------------------------------------
    _rule(
        "obfuscation",
        0.8,
        "decode base64 rot13 reverse reversed decrypt",
        rf"\b(?:decode|decrypt|reverse|unscramble|translate)\s+{_gap(3)}(?:base64|rot13|rot-13|hex|binary|cipher|encoded|reversed|backwards)\b[^.\n]{{0,80}}\b(?:then|and)\s+(?:follow|execute|do|run|obey|answer|perform|respond)",
    ),
)
