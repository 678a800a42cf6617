"""The real spaCy pipeline on hand-written sentences: companies, amounts, deal types and roles."""
from __future__ import annotations

import pytest

from extractors.pipeline import VERSION, extraction_from_doc, load_pipeline


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


def deals(nlp, text):
    return extraction_from_doc(nlp(text)).deals


def companies(nlp, text):
    """Each company mention -> its canonical name."""
    doc = nlp(text)
    return {s.text: s.id_ for s in doc.spans["companies"]}


def test_pipeline_runs_our_components_after_the_model(nlp):
    names = nlp.pipe_names
    assert names.index("company_ruler") < names.index("ner") < names.index("dealwire_deals")


def test_known_company_gets_its_canonical_name(nlp):
    assert companies(nlp, "Nvidia Corp. said demand stayed strong.").get("Nvidia Corp.") == "Nvidia"


def test_deals_show_the_fullest_form_the_article_uses(nlp):
    [deal] = deals(nlp, "Corvane Systems Inc. makes switches. Corvane raised $45 million in a Series B round.")
    assert deal.company == "Corvane Systems Inc."


def test_unknown_startup_is_found_from_an_appositive(nlp):
    found = companies(nlp, "Quillfern, a startup that designs optical switches, said on Tuesday it would hire 40 people.")
    assert "Quillfern" in found


def test_unknown_name_with_a_company_suffix_is_found(nlp):
    assert "Brightlattice Labs" in companies(nlp, "Brightlattice Labs raised $12 million from angel investors.")


@pytest.mark.parametrize("word", ["AI", "GPU", "CEO", "Series B"])
def test_domain_words_are_never_companies(nlp, word):
    text = f"The {word} story dominated the week, and Orbitax said {word} mattered."
    assert word not in companies(nlp, text)


def test_dateline_place_is_not_a_company(nlp):
    assert "BOSTON" not in companies(nlp, "BOSTON -- Kestrelite raised $9 million in a seed round led by Arbor Ventures.")


def test_funding_round_with_lead_and_other_investors(nlp):
    [deal] = deals(nlp, "Corvane Systems, a maker of optical interconnects, said on Monday it had raised $45 million "
                        "in a Series B round led by Halyard Ventures, with Tessel Capital and Ironwood Partners participating.")
    assert (deal.deal_type, deal.company, deal.amount, deal.currency, deal.round) == \
        ("funding_round", "Corvane Systems", 45e6, "USD", "Series B")
    assert {(p.name, p.role) for p in deal.participants} == {
        ("Halyard Ventures", "lead_investor"), ("Tessel Capital", "investor"), ("Ironwood Partners", "investor")}


def test_valuation_is_kept_apart_from_the_amount(nlp):
    [deal] = deals(nlp, "Corvane Systems raised $45 million in a Series B round that values the company at $600 million.")
    assert (deal.amount, deal.valuation) == (45e6, 600e6)


def test_acquisition_names_the_target_and_the_acquirer(nlp):
    [deal] = deals(nlp, "Marrowgate said on Thursday it had agreed to acquire Pellucid Networks, a maker of network "
                        "switches, for €300 million in cash.")
    assert (deal.deal_type, deal.company, deal.amount, deal.currency) == ("acquisition", "Pellucid Networks", 3e8, "EUR")
    assert [(p.name, p.role) for p in deal.participants] == [("Marrowgate", "acquirer")]


def test_debt_facility_names_the_lender(nlp):
    [deal] = deals(nlp, "Vantorix Cloud said it had secured a $250 million credit facility from Stonebridge Capital "
                        "to buy GPUs.")
    assert (deal.deal_type, deal.company, deal.amount) == ("debt_financing", "Vantorix Cloud", 250e6)
    assert [(p.name, p.role) for p in deal.participants] == [("Stonebridge Capital", "lender")]


def test_rumored_when_only_in_talks(nlp):
    [deal] = deals(nlp, "Loomwise Labs is in talks to raise $80 million in a Series A, according to people familiar "
                        "with the matter.")
    assert deal.status == "rumored"


def test_history_is_not_a_new_deal(nlp):
    assert deals(nlp, "Loomwise Labs previously raised $20 million in a seed round in 2021.") == ()


def test_an_aggregate_over_many_companies_is_not_a_deal(nlp):
    assert deals(nlp, "AI chip startups raised $1.1 billion this week, according to a tally of announcements.") == ()


def test_two_companies_raising_in_one_sentence_are_two_deals(nlp):
    found = deals(nlp, "Tallow Robotics closed a $12 million seed round, and Quenchline Energy raised $30 million "
                       "in a Series A.")
    assert {(d.company, d.amount, d.round) for d in found} == {
        ("Tallow Robotics", 12e6, "Seed"), ("Quenchline Energy", 30e6, "Series A")}


def test_every_deal_keeps_its_evidence_sentence_and_offsets(nlp):
    text = "Shares were flat. Corvane Systems raised $45 million in a Series B round led by Halyard Ventures."
    [deal] = deals(nlp, text)
    assert text[deal.evidence_start:deal.evidence_end] == deal.evidence
    assert deal.evidence.startswith("Corvane Systems raised")


def test_mentions_carry_offsets_into_the_text(nlp):
    text = "Corvane Systems raised $45 million."
    extraction = extraction_from_doc(nlp(text))
    assert all(text[m.start_char:m.end_char] == m.text for m in extraction.mentions)
    assert {m.label for m in extraction.mentions} == {"ORG", "MONEY"}


def test_version_names_every_component():
    assert VERSION.count("+") == 3 and "money" in VERSION


def test_investors_listed_in_a_later_sentence_join_the_round(nlp):
    [deal] = deals(nlp, "Corvane Systems raised $45 million in a Series B round led by Halyard Ventures. "
                        "Investors in the round included Tessel Capital and Ironwood Partners.")
    assert {p.name for p in deal.participants} == {"Halyard Ventures", "Tessel Capital", "Ironwood Partners"}


def test_a_lead_investor_with_an_ordinary_word_name_is_found(nlp):
    [deal] = deals(nlp, "Quillfern raised $22 million in a Series A led by Meridian.")
    assert [(p.name, p.role) for p in deal.participants] == [("Meridian", "lead_investor")]


def test_buying_newly_issued_shares_is_an_investment(nlp):
    [deal] = deals(nlp, "Marrowgate has agreed to buy about $120 million of Corvane shares, the filing showed.")
    assert (deal.deal_type, deal.company) == ("funding_round", "Corvane")
    assert [(p.name, p.role) for p in deal.participants] == [("Marrowgate", "investor")]


def test_a_company_named_for_comparison_is_no_party(nlp):
    [deal] = deals(nlp, "Quillfern, a challenger to Nvidia, raised $22 million in a Series A.")
    assert (deal.company, deal.participants) == ("Quillfern", ())


def test_a_venture_formed_to_invest_is_a_capex_commitment(nlp):
    [deal] = deals(nlp, "Marrowgate and Halyard unveiled a joint venture called Tessera Compute that will invest "
                        "$20 billion in data centers.")
    assert (deal.deal_type, deal.company, deal.amount) == ("capex_commitment", "Tessera Compute", 20e9)
    assert {p.name for p in deal.participants} == {"Marrowgate", "Halyard"}


def test_the_price_of_an_acquisition_is_its_amount(nlp):
    [deal] = deals(nlp, "Marrowgate agreed to acquire Pellucid Networks in a cash deal valued at $4.2 billion, "
                        "or $31 a share.")
    assert (deal.amount, deal.valuation) == (4.2e9, None)


@pytest.mark.parametrize("text", [
    "I have been tinkering with Asana, which is not so great for collaborating around individual tasks.",
    "Dan's last show includes chat about breaking your lease and the new Dota sequel.",
    "The company was founded by a former executive whose old startup was acquired by LivingSocial in 2009.",
    "Geocaching listings, ratings and the Geocaching Post Office are explained in the glossary.",
])
def test_everyday_words_of_general_news_make_no_deal(nlp, text):
    assert deals(nlp, text) == ()


def test_history_in_another_clause_does_not_hide_the_news(nlp):
    [deal] = deals(nlp, "Quillfern, which builds optical switches, has raised $60 million in a Series C round, "
                        "twice what its backers paid a year ago.")
    assert (deal.deal_type, deal.company, deal.amount) == ("funding_round", "Quillfern", 60_000_000)


def test_history_in_the_deal_clause_is_no_new_deal(nlp):
    assert deals(nlp, "Previously, Quillfern raised $20 million in a seed round.") == ()


@pytest.mark.parametrize("text, deal_type", [
    ("Orbitax Cloud has agreed to sell $400 million of convertible notes due 2031.", "debt_financing"),
    ("Brightlattice Power signed a 12-year lease with Corvane Systems for 80 megawatts of capacity.", "supply_agreement"),
    ("Corvane Systems and Tessel Labs signed a joint development agreement for optical engines.", "partnership"),
])
def test_business_news_phrasings_name_their_deal_type(nlp, text, deal_type):
    assert deal_type in {d.deal_type for d in deals(nlp, text)}


def test_talks_reported_by_people_familiar_are_rumored(nlp):
    [deal] = deals(nlp, "Kestrelite Labs is finalizing a $90 million Series B round, according to two people "
                        "who asked not to be identified.")
    assert deal.status == "rumored"


def test_a_public_body_gives_the_grant_whoever_the_subject_is(nlp):
    [deal] = deals(nlp, "The Ministry of Digital Affairs has finalized a grant of up to $40 million for "
                        "Quillfern Labs to build a packaging line.")
    assert deal.deal_type == "grant" and deal.company == "Quillfern Labs"
    assert [(p.name, p.role) for p in deal.participants] == [("Ministry of Digital Affairs", "grantor")]


def test_an_investment_in_two_companies_is_a_deal_each(nlp):
    found = deals(nlp, "Halyard Capital said it would invest $50 million apiece in Corvane Systems and Tessel Labs.")
    assert {(d.deal_type, d.company, d.amount) for d in found} == {
        ("funding_round", "Corvane Systems", 50_000_000), ("funding_round", "Tessel Labs", 50_000_000)}


def test_banks_in_a_loan_are_its_lenders(nlp):
    [deal] = deals(nlp, "Orbitax Cloud has signed a $600 million term loan with Halyard Bank and Tessel Banking Corp.")
    assert (deal.deal_type, deal.company) == ("debt_financing", "Orbitax Cloud")
    assert {p.role for p in deal.participants} == {"lender"}


def test_raising_a_forecast_is_no_funding_round(nlp):
    assert not [d for d in deals(nlp, "Orbitax Cloud raised its forecast for the year to $9 billion.")
                if d.deal_type == "funding_round"]


def test_a_valuation_stated_after_the_round_belongs_to_it(nlp):
    [deal] = deals(nlp, "Quillfern Labs has raised $80 million in a Series B round led by Halyard Ventures. "
                        "The round values the company at $900 million.")
    assert (deal.amount, deal.valuation) == (80_000_000, 900_000_000)


def test_backers_listed_after_from_are_not_raises_of_their_own(nlp):
    found = deals(nlp, "Womblebox Labs raised $7 million from Halyard Ventures and Tessel Capital.")
    assert [(d.deal_type, d.company) for d in found] == [("funding_round", "Womblebox Labs")]


def test_a_subsidiary_is_no_subsidy(nlp):
    found = deals(nlp, "Orbitax Cloud sold $500 million of senior secured notes through its Orbitax Compute subsidiary.")
    assert [d.deal_type for d in found] == ["debt_financing"]


def test_two_companies_investing_together_are_a_partnership(nlp):
    [deal] = deals(nlp, "Corvane Systems and Tessel Labs said they would invest up to $2 billion over five years "
                        "to build AI data centers.")
    assert (deal.deal_type, deal.amount) == ("partnership", 2_000_000_000)
    assert {deal.company, *(p.name for p in deal.participants)} == {"Corvane Systems", "Tessel Labs"}


def test_a_round_extension_is_found_under_its_base_round(nlp):
    [deal] = deals(nlp, "Halyard Ventures led a $90 million Series C-1 round in Quillfern Labs.")
    assert (deal.deal_type, deal.company, deal.round) == ("funding_round", "Quillfern Labs", "Series C")


def test_a_converted_figure_in_brackets_is_not_the_amount(nlp):
    [deal] = deals(nlp, "Halyard Group agreed to buy Quillfern Labs for A$3 billion (US$2 billion) in cash.")
    assert (deal.amount, deal.currency) == (3_000_000_000, "AUD")


def test_the_amount_nearest_the_deal_words_is_the_deal_amount(nlp):
    found = deals(nlp, "Corvane Systems will build a €4 billion plant in Saxony after regulators cleared "
                       "€1 billion of state aid for it.")
    assert {(d.deal_type, d.amount) for d in found if d.deal_type == "grant"} == {("grant", 1_000_000_000)}


def test_a_government_programme_is_no_capex_commitment(nlp):
    assert not [d for d in deals(nlp, "The European Commission will mobilise €50 billion to build AI data centers.")
                if d.deal_type == "capex_commitment"]


def test_a_relative_clause_describing_a_supplier_announces_nothing(nlp):
    assert deals(nlp, "Corvane Systems, which supplies optical engines to Tessel Labs, hired a new chief.") == ()


def test_a_company_named_in_a_title_is_not_the_supplier(nlp):
    [deal] = deals(nlp, "Brightlattice Power, chaired by Tessel Labs chief executive Ann Moro, has agreed to supply "
                        "200 megawatts of electricity to Corvane Systems.")
    assert (deal.deal_type, deal.company) == ("supply_agreement", "Brightlattice Power")


def test_an_annotated_doc_survives_to_bytes_and_back(nlp):
    from spacy.tokens import Doc

    doc = nlp("Quillfern Labs has raised $80 million in a Series B round led by Halyard Ventures, "
              "which values it at $1 billion.")
    again = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert extraction_from_doc(again) == extraction_from_doc(doc)
    assert [s._.money.value for s in again.spans["money"]] == [80_000_000, 1_000_000_000]


def test_what_a_lease_is_valued_at_is_its_amount(nlp):
    [deal] = deals(nlp, "Brightlattice Power signed a 10-year lease with Corvane Systems valued at $2 billion.")
    assert (deal.deal_type, deal.amount, deal.valuation) == ("supply_agreement", 2_000_000_000, None)


def test_an_ipo_valuation_stated_after_the_listing_belongs_to_it(nlp):
    [deal] = deals(nlp, "Quillfern Labs raised $300 million in its initial public offering on Nasdaq. "
                        "The offering values the company at $4 billion.")
    assert (deal.deal_type, deal.amount, deal.valuation) == ("ipo", 300_000_000, 4_000_000_000)


def test_a_short_form_of_the_principal_is_not_its_own_partner(nlp):
    found = deals(nlp, "Stratum Fabric signed a partnership with Corvane Systems. "
                       "Under the partnership, Stratum and Corvane Systems will co-develop switches.")
    assert found and all(not p.name.startswith("Stratum") for d in found for p in d.participants)


def test_backers_named_later_in_any_phrasing_join_the_round(nlp):
    [deal] = deals(nlp, "Quillfern Labs has raised $60 million in a Series B round led by Halyard Ventures. "
                        "Existing shareholders Tessel Capital and Ironwood Partners also put in money.")
    assert {(p.name, p.role) for p in deal.participants} == {
        ("Halyard Ventures", "lead_investor"), ("Tessel Capital", "investor"), ("Ironwood Partners", "investor")}


def test_the_company_referred_to_by_a_description_is_the_principal(nlp):
    found = deals(nlp, "Marrowgate Compute, a GPU cloud operator, said it had hired 30 engineers. "
                       "The Oslo-based startup has signed a $40 million term loan with Fjordbank.")
    [loan] = [d for d in found if d.deal_type == "debt_financing"]
    assert loan.company == "Marrowgate Compute" and loan.amount == 40_000_000


def test_it_as_subject_refers_to_the_company_the_story_is_about(nlp):
    found = deals(nlp, "Peltary Systems raised $12 million in a Series A round led by Quarry Ventures. "
                       "It is now exploring a listing in Frankfurt next year, according to people familiar with the matter.")
    assert ("ipo", "Peltary Systems") in {(d.deal_type, d.company) for d in found}


def test_what_a_company_does_every_day_is_no_deal(nlp):
    found = deals(nlp, "Peltary Systems raised $12 million in a Series A round led by Quarry Ventures. "
                       "It supplies cooling units to several hyperscalers.")
    assert [d.deal_type for d in found] == ["funding_round"]


def test_a_worth_is_a_valuation_not_a_second_amount(nlp):
    found = deals(nlp, "Brennic Labs raised $713 million in its initial public offering on Nasdaq. "
                       "At the offer price the company was worth about $5.5 billion.")
    assert [(d.deal_type, d.amount) for d in found] == [("ipo", 713_000_000)]


def test_a_past_month_and_year_is_history(nlp):
    assert deals(nlp, "Brennic Labs sold $350 million of convertible notes in May 2024.") == ()
