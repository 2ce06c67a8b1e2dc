"""Lab 1 reference answers (check them with ``caplab.labkit.labs.lab01.q1.check(answer_q1)``)."""

# q1: reads see the latest acknowledged write and stay available with one node down:
# R + W > N (every read quorum overlaps every write quorum) and R, W <= N - 1.
answer_q1 = {"N": 3, "R": 2, "W": 2}

# q2: writes survive two nodes down (W <= N - 2); reads after recovery see them (R + W > N).
answer_q2 = {"N": 3, "R": 3, "W": 1}

# q3: an acknowledged write must be on a majority, so every electable majority has it;
# with 5 members, a majority (3) is still up when two are down.
answer_q3 = {"w": "majority"}
