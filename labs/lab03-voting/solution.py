"""Lab 3 reference answer: MongoDB's (and Raft's) voting rule."""


def vote_rule(ballot):
    """Never an older term, one vote per term, never a staler candidate."""
    if ballot.candidate_term < ballot.voter_term:
        return False, f"term {ballot.candidate_term} is older than mine ({ballot.voter_term})"
    if ballot.voted_for is not None and ballot.voted_for != ballot.candidate:
        return False, f"already voted for {ballot.voted_for} in term {ballot.voter_term}"
    if ballot.candidate_last_optime < ballot.voter_last_optime:
        return False, (f"candidate's oplog {ballot.candidate_last_optime} is behind mine "
                       f"{ballot.voter_last_optime}")
    return True, "ok"
