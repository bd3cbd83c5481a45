"""GitOps support: which stack files are templates or live stacks, which ones a change
touches, which policy config each gets, planning them at two commits and the PR comment."""
