"""Lab 2 reference answer: merge sibling carts by union (the Dynamo paper's shopping cart)."""


def merge(siblings):
    """The union of the sibling carts: an item added on any side stays added."""
    merged = set()
    for cart in siblings:
        merged |= set(cart)
    return merged
