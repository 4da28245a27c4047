"""智能咨询: answers from what the platform already knows (past cases, disputes, policies)."""
