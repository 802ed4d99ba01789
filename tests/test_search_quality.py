"""A labeled set of fuzzy queries with the answer a person means.

Typos, partial titles, system names, accents, Greek, surnames alone, swapped names,
initials and affiliations. The service's thresholds were chosen on this set.
"""

from __future__ import annotations

import pytest

from bot.model import Program
from bot.service import ProgramService, QueryError
from bot.service.results import AuthorAnswer, NoMatch, SessionAnswer, TalkAnswer

TALK_QUERIES = [
    ("sabre", "Sabre"),
    ("sarathi", "Taming Throughput-Latency Tradeoff"),
    ("sarthi serve", "Taming Throughput-Latency Tradeoff"),
    ("llumnix", "Llumnix"),
    ("lumnix", "Llumnix"),
    ("hongmeng", "Microkernel Goes General"),
    ("hong meng microkernel", "Microkernel Goes General"),
    ("uslope", "μSlope"),
    ("slope", "μSlope"),
    ("μSlope logs", "μSlope"),
    ("hybrid data plane far memory", "A Tale of Two Paths"),
    ("lock fission", "Fast and Scalable In-network Lock Management"),
    ("ransomware protection", "Ransom Access Memories"),
    ("deftpunk", "Ransom Access Memories"),
    ("ebpf verifier", "Validating the eBPF Verifier"),
    ("serverless llm", "ServerlessLLM"),
    ("serverlessllm", "ServerlessLLM"),
    ("fairness llm serving", "Fairness in Serving Large Language Models"),
    ("memory tiering transactional", "NOMAD"),
    ("spark joy", "Inductive Invariants That Spark Joy"),
    ("byzantine broadcast", "Chop Chop"),
    ("cxl virtualized", "Managing Memory Tiers with CXL"),
    ("kv cache", "InfiniGen"),
    ("infinigen", "InfiniGen"),
    ("squirelfs", "SquirrelFS"),
    ("rust file system crash consistency", "SquirrelFS"),
    ("distserve prefill decoding", "DistServe"),
    ("DECODING PREFILL disaggregating", "DistServe"),
    ("verismo confidential vm", "VERISMO"),
    ("ironspec", "IronSpec"),
    ("anvil liveness", "Anvil"),
    ("dsig signatures", "DSig"),
    ("end-to-end encryption key recovery", "Secret Key Recovery"),
    ("fairywren flash cache", "FairyWREN"),
    ("mononn", "MonoNN"),
    ("geo distributed ml training scheduling", "MAST"),
    ("when will my job finish", "When will my ML Job finish?"),
    ("accl fpga", "ACCL+"),
    ("partial snapshots", "Beaver"),
    ("dlora adapters", "dLoRA"),
    ("parrot semantic variable", "Parrot"),
    ("usher interference", "USHER"),
    ("blocked samples off-cpu", "Identifying On-/Off-CPU Bottlenecks"),
    ("cpu cache systems code", "Automatically Reasoning About How Systems Code Uses the CPU Cache"),
    ("tensor language model", "Enabling Tensor Language Model"),
    ("ladder low precision", "LADDER"),
    ("caravan in-network ml", "CARAVAN"),
    ("nnscaler", "nnScaler"),
    ("chameleon api", "ChameleonAPI"),
    ("host networking accelerated", "High-throughput and Flexible Host Networking"),
    ("intos intermittent", "INTOS"),
    ("dataflow availability", "Data-flow Availability"),
    ("drust distributed shared memory", "DRust"),
    ("msh stall cycles", "Harvesting Memory-bound CPU Stall Cycles"),
    ("refs file system verifying", "Using Dynamically Layered Definite Releases"),
    ("multi versioned transactions disaggregated memory", "Motor"),
    ("burstable block storage dpu", "Burstable Cloud Block Storage"),
    ("logic bugs database engines", "Detecting Logic Bugs in Database Engines"),
    ("performance interfaces accelerators", "Performance Interfaces for Hardware Accelerators"),
    ("servicelab regressions", "ServiceLab"),
    ("resource allocation hyperscale datacenters", "Optimizing Resource Allocation"),
]

PERSON_QUERIES = [
    ("Clement Burgevin", "Clément Burgevin"),
    ("Clement", "Clément Burgevin"),
    ("Kapritsos", "Manos Kapritsos"),
    ("Chen Haibo", "Haibo Chen"),
    ("H. Chen", "Haibo Chen"),
    ("haibo chenn", "Haibo Chen"),
    ("anjali", "Anjali"),
    ("sherry wang", "Yucong “Sherry” Wang"),
    ("Yucong Wang", "Yucong “Sherry” Wang"),
    ("ion stoika", "Ion Stoica"),
    ("Stoica Ion", "Ion Stoica"),
    ("gonzalez", "Joseph E. Gonzalez"),
    ("pierre louis roman", "Pierre-Louis Roman"),
    ("Guerraoui", "Rachid Guerraoui"),
    ("Delimitrou", "Christina Delimitrou"),
    ("christina delimitru", "Christina Delimitrou"),
    ("Lazarev", "Nikita Lazarev"),
    ("marcos aguilera", "Marcos K. Aguilera"),
    ("Zu-Ming Jiang", "Zu-Ming Jiang"),
    ("zuming jiang", "Zu-Ming Jiang"),
    ("Shrijeet", "Shrijeet Mukherjee"),
    ("kozyrakis", "Christos Kozyrakis"),
    ("Tej Chajed", "Tej Chajed"),
    ("chajed", "Tej Chajed"),
    ("Athanasios Xygkis", "Athanasios Xygkis"),
]

AFFILIATION_QUERIES = [
    ("EPFL", "EPFL"),
    ("Microsoft Research", "Microsoft Research"),
    ("Meta Platforms", "Meta Platforms"),
    ("uber", "Uber"),
    ("ETH Zurich", "ETH Zurich"),
]


def test_the_labeled_set_has_at_least_forty_queries():
    assert len(TALK_QUERIES) + len(PERSON_QUERIES) + len(AFFILIATION_QUERIES) >= 40


@pytest.mark.parametrize(("query", "expected"), TALK_QUERIES)
def test_paper_query_finds_expected_paper_first(service: ProgramService, query, expected):
    answer = service.talk(query)
    assert isinstance(answer, TalkAnswer), answer
    assert answer.talk.title.startswith(expected)


@pytest.mark.parametrize(("query", "expected"), PERSON_QUERIES)
def test_person_query_finds_expected_person_first(service: ProgramService, query, expected):
    answer = service.author(query)
    assert isinstance(answer, AuthorAnswer), answer
    assert answer.people[0].name == expected


@pytest.mark.parametrize(("query", "expected"), AFFILIATION_QUERIES)
def test_affiliation_query_finds_it_in_search(service: ProgramService, query, expected):
    answer = service.search(query)
    assert answer.affiliations and answer.affiliations[0].name == expected


def test_every_seed_title_finds_itself_first(service: ProgramService, program: Program):
    for talk in program.talks:
        answer = service.talk(talk.title)
        assert isinstance(answer, TalkAnswer) and answer.talk.talk.key == talk.key, talk.title


def test_every_person_finds_themselves_first(service: ProgramService, program: Program):
    for person in program.people:
        answer = service.author(person.name)
        assert isinstance(answer, AuthorAnswer)
        assert answer.people[0].key == person.key, person.name


def test_nonsense_gets_no_match_instead_of_a_random_paper(service: ProgramService):
    for query in ("pizza", "zzzzqqq", "the", "banana bread recipe", "memory soup", "quantum llama"):
        assert isinstance(service.talk(query), NoMatch), query


def test_near_miss_gets_did_you_mean_suggestions(service: ProgramService):
    answer = service.talk("snapshot banana")
    assert isinstance(answer, NoMatch)
    assert answer.suggestions and answer.suggestions[0].startswith("Sabre")


def test_surname_shared_by_several_people_lists_them_all(service: ProgramService):
    answer = service.author("chen")
    assert isinstance(answer, AuthorAnswer)
    names = {p.name for p in answer.people}
    assert {"Haibo Chen", "Lei Chen", "Rong Chen", "Ting Chen", "Chen Chen"} <= names
    assert not any("Cheng" in n for n in names)


def test_person_papers_are_grouped_with_affiliation_per_paper(service: ProgramService):
    answer = service.author("Haibo Chen")
    assert isinstance(answer, AuthorAnswer)
    (haibo,) = answer.people
    assert len(haibo.talks) == 3
    affiliations = [t.authorship.affiliation for t in haibo.talks]
    assert affiliations[1] == "Huawei Central Software Institute and Shanghai Jiao Tong University"
    assert len(set(affiliations)) == 3


def test_session_names_are_searchable(service: ProgramService):
    answer = service.session("formal verification")
    assert isinstance(answer, SessionAnswer) and answer.session.title == "Formal Verification"
    assert service.search("formal verification").sessions[0].title == "Formal Verification"


def test_stable_reference_resolves_exactly(service: ProgramService):
    answer = service.talk("p:fu")
    assert isinstance(answer, TalkAnswer) and answer.talk.title.startswith("ServerlessLLM")


@pytest.mark.parametrize("query", ["", "   ", "x" * 10_000, "abc\x00def", "a\x1b[31mred"])
def test_absurd_input_is_refused_with_a_reason(service: ProgramService, query):
    with pytest.raises(QueryError):
        service.talk(query)


# -- bounded work: hostile input costs what a normal query does ---------------------------


def test_a_word_longer_than_any_in_the_program_builds_no_typo_variants(service, monkeypatch):
    from bot.search import fuzzy

    built: list[int] = []
    real = fuzzy._deletes
    monkeypatch.setattr(
        fuzzy, "_deletes", lambda word, depth: built.append(len(word)) or real(word, depth)
    )
    service.search("a" * 199)
    service.search("memory tiering")
    assert built and max(built) <= fuzzy.TYPO_MAX  # the normal query still gets typo matching
    assert 199 not in built


def test_only_so_many_distinct_query_words_are_looked_up(service, monkeypatch):
    from bot.search import fuzzy

    looked_up: list[str] = []
    real = fuzzy.TokenIndex._similar_tokens
    monkeypatch.setattr(
        fuzzy.TokenIndex, "_similar_tokens",
        lambda self, word, typing: looked_up.append(word) or real(self, word, typing),
    )  # fmt: skip
    words = [f"w{n:02d}x" for n in range(60)]
    service.index.find_talks(" ".join(words + words))
    assert len(looked_up) == fuzzy.MAX_WORDS
    assert looked_up == words[: fuzzy.MAX_WORDS]


def test_a_long_title_typed_in_full_still_finds_itself(service):
    longest = max(service.program.talks, key=lambda p: len(p.title.split()))
    assert len(longest.title.split()) > 12
    (hit, *_) = service.index.find_talks(longest.title)
    assert hit.key == longest.key
