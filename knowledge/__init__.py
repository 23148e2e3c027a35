"""Knowledge base: ingestion of law, village rules, FAQs and 普法 notes; the index; retrieval; answers."""
