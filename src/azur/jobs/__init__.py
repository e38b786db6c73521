"""The durable job queue (:mod:`.queue`) and the workers that run jobs (:mod:`.worker`)."""
