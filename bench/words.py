"""Vocabulary for the generated corpus: invented names, real investors, and phrase pools."""

SYLLABLES = ["ar", "vel", "tor", "qua", "nex", "lum", "zen", "cor", "ion", "tra", "mir", "sol", "dax",
             "ver", "ka", "lis", "tek", "ora", "pyx", "hal", "cy", "ro", "neb", "ul", "fin", "gra", "vo",
             "sen", "tal", "mo", "rix", "bel", "ost", "ene", "pha", "zor", "ly", "can", "dre", "is"]
SUFFIXES = ["AI", "Systems", "Compute", "Labs", "Networks", "Photonics", "Semiconductor", "Cloud",
            "Power", "Data", "Technologies", "Robotics", "Energy", "Inc.", "Corp.", "Computing"]
FUND_SUFFIXES = ["Capital", "Ventures", "Partners", "Investments", "Growth", "Holdings"]
# Real investors and strategics that seeds/companies.toml knows, for the ruler to find.
KNOWN_INVESTORS = ["Sequoia Capital", "Andreessen Horowitz", "Lightspeed Venture Partners", "Accel",
                   "Index Ventures", "Founders Fund", "Thrive Capital", "Coatue Management",
                   "General Catalyst", "Khosla Ventures", "Lux Capital", "Fidelity Investments",
                   "BlackRock", "Nvidia", "Microsoft", "SoftBank", "Insight Partners", "DST Global"]
KNOWN_BUYERS = ["Nvidia", "AMD", "Intel", "Microsoft", "Oracle", "CoreWeave", "Broadcom", "Cisco",
                "Marvell", "Equinix", "Digital Realty", "Super Micro Computer", "Arista Networks"]

PRODUCTS = ["inference chips", "optical interconnects", "liquid-cooled GPU clusters", "AI accelerators",
            "high-bandwidth memory controllers", "modular data centers", "GPU cloud capacity",
            "power management silicon", "training clusters", "networking switches for AI workloads",
            "small modular reactors", "co-packaged optics", "model serving software", "AI storage systems"]
CITIES = ["Austin", "Dublin", "Singapore", "Toronto", "Munich", "Tel Aviv", "Phoenix", "Oslo",
          "Seoul", "Abu Dhabi", "Atlanta", "Paris", "Tokyo", "Denver", "Amsterdam", "Columbus"]
ROUNDS = ["seed", "Series A", "Series B", "Series C", "Series D", "Series E", "growth"]
ROLES = ["chief executive", "co-founder and chief executive", "chief financial officer",
         "chief technology officer", "president", "general partner", "managing director"]
FIRST = ["Maya", "Daniel", "Priya", "Jonas", "Elena", "Tomas", "Aisha", "Kenji", "Laura", "Marcus",
         "Sofia", "Rahul", "Ingrid", "Omar", "Chloe", "Victor", "Hannah", "Lucas", "Nadia", "Felix"]
LAST = ["Okafor", "Lindqvist", "Patel", "Moreau", "Tanaka", "Reyes", "Becker", "Novak", "Hughes",
        "Castillo", "Nakamura", "Fischer", "O'Brien", "Haddad", "Kowalski", "Silva", "Brennan", "Iyer"]

# Filler prose: each slot pool is combined at random, so sentences rarely repeat.
OPENERS = ["Analysts say", "Industry executives argue", "People familiar with the market note",
           "Investors have increasingly concluded", "Several bankers who work on such transactions said",
           "Researchers who track the sector estimate", "Executives at rival firms concede",
           "According to a recent survey of chief information officers,"]
TRENDS = ["demand for accelerated computing continues to outpace the supply of finished systems",
          "the cost of training frontier models has roughly doubled every year since 2020",
          "power availability, rather than chips, has become the binding constraint on new capacity",
          "enterprise buyers are shifting spending from experimentation to production inference",
          "lead times for transformers and switchgear now stretch well beyond two years",
          "hyperscalers are designing more of their own silicon to reduce their dependence on suppliers",
          "sovereign governments want domestic compute that stays within their own borders",
          "memory bandwidth, not raw arithmetic throughput, limits the performance of large models",
          "utilities are struggling to connect large new loads to already congested regional grids",
          "smaller clouds are winning customers with faster delivery and more flexible contracts"]
LINKS = ["which means that", "and as a result", "although it remains unclear whether", "so",
         "while critics counter that", "and some expect that", "even though"]
CONSEQUENCES = ["margins for specialised hardware suppliers could stay elevated for several more quarters",
                "the next wave of data center projects will be built closer to sources of cheap energy",
                "customers will sign longer commitments in exchange for guaranteed access to capacity",
                "consolidation among smaller providers is likely to accelerate over the coming year",
                "regulators may take a closer look at how capacity is allocated among large customers",
                "the economics of inference will matter more than training within a few years",
                "companies without their own infrastructure may find themselves paying a steep premium",
                "valuations across the sector have drifted far ahead of current revenue",
                "financing structures borrowed from real estate and utilities are becoming common"]
CONTEXT = ["The company was founded in {year} by former engineers from {buyer} and {other}.",
           "{company} said it now employs about {staff} people across offices in {city} and {city2}.",
           "The startup sells {product} to cloud providers, research labs and large enterprises.",
           "{company} declined to disclose its revenue, but said bookings had grown several times over the past year.",
           "Its first production systems shipped to customers in {city} earlier this year, according to the company.",
           "The market for {product} is expected to grow quickly as operators race to add capacity for new models.",
           "{company} competes with much larger incumbents, including {buyer}, as well as a handful of younger startups.",
           "A spokesperson for {company} said the business expects to double its engineering staff by the end of next year."]
QUOTES = ["\u201cWe are still in the early innings of a very long build-out,\u201d said {person}, {role} of {company}.",
          "\u201cCustomers keep telling us that capacity, not price, is what they care about most right now,\u201d {person} said in an interview.",
          "\u201cThis investment lets us move from pilot deployments to production at real scale,\u201d said {person}, {role} at {company}.",
          "{person}, {role} of {investor}, said the firm had followed the team for years before deciding to invest.",
          "\u201cThe bottleneck in AI has moved from algorithms to atoms,\u201d said {person}, who will join the board of {company}."]
