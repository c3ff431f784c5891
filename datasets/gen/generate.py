#!/usr/bin/env python3
"""Deterministic generators for Flint's day-1 course datasets.

Every file is synthetic, modelled on the files used by the classic
"Spark with Python" course (MovieLens-100k, fakefriends.csv, the NOAA 1800
weather extract, customer-orders.csv, book.txt), so that the labs can be run
and checked without shipping third-party data.

Determinism rules (please keep them when editing):
  * all randomness comes from a `random.Random(seed)` instance passed around
    explicitly -- never the module-level RNG;
  * nothing iterates over a dict or set whose order could depend on hashing
    (sets are only used for membership tests);
  * output files are written with "\\n" line endings and ASCII only;
  * floats are never formatted with repr(): integer-valued quantities (cents,
    tenths of a degree) are formatted from ints.
The same seed therefore gives byte-identical files on any machine running
the same CPython (checked with 3.11; `random.Random`'s algorithms for
random(), gauss(), expovariate() and shuffle() have been stable across 3.x).

Usage (see `--help` of each subcommand):
  python3 datasets/gen/generate.py all --out datasets
  python3 datasets/gen/generate.py large --size 10m --out datasets/generated
  python3 datasets/gen/generate.py film --ratings 100000 --users 943 \\
      --items 1682 --seed 42 --out /tmp/film
"""

import argparse
import bisect
import datetime
import math
import os
import random
import sys
import time
import urllib.parse

DEFAULT_SEED = 42

# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------


def cumulative(weights):
    """Running sums of `weights`, for bisect-based weighted sampling."""
    out = []
    acc = 0.0
    for w in weights:
        acc += w
        out.append(acc)
    return out


def make_sampler(rng, weights):
    """Return a zero-argument function drawing an index with prob. ~ weight.

    Faster than rng.choices() for millions of single draws.
    """
    cum = cumulative(weights)
    total = cum[-1]
    last = len(cum) - 1
    rnd = rng.random
    bis = bisect.bisect_right

    def draw():
        i = bis(cum, rnd() * total)
        # rnd() < 1, but guard against float round-off at the very end.
        return i if i <= last else last

    return draw


def _dedupe(words):
    """Remove repeated words, keeping first occurrences (order-stable)."""
    seen = set()
    out = []
    for w in words:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def open_out(path):
    """Open a text file for writing with a big buffer and '\\n' newlines."""
    parent = os.path.dirname(path)
    if parent:
        os.makedirs(parent, exist_ok=True)
    return open(path, "w", encoding="ascii", newline="\n", buffering=1 << 20)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# film: MovieLens-100k shaped ratings (film.data) and items (film.item)
# --------------------------------------------------------------------------

# First and last timestamps of the real MovieLens-100k (1997-09-20 .. 1998-04-22).
FILM_T_START = 874724710
FILM_T_END = 893286638

FILM_RANK = 5            # latent factor dimension
# Rating model parameters, tuned so the histogram resembles MovieLens-100k
# (1: 6%, 2: 11%, 3: 27%, 4: 34%, 5: 21%, mean 3.53). The "global mean" is
# above 3.5 because most films get a negative popularity bias (see below)
# and the let-down term pulls ratings down.
FILM_MEAN = 3.93
FILM_USER_BIAS_SD = 0.40
FILM_ITEM_BIAS_SD = 0.35
FILM_POP_BIAS = 1.0      # popular films are rated higher (as in MovieLens)
FILM_FACTOR_SD = 0.52    # per coordinate; u.v then has sd ~ sqrt(5)*0.52^2 = 0.6
FILM_NOISE_SD = 0.60
FILM_LETDOWN_P = 0.15
FILM_LETDOWN_RATE = 1.0 / 1.5
FILM_MIN_PER_USER = 20
# Item popularity weight ~ (rank + OFFSET)^-EXPONENT * exp(-TAIL * rank / I):
# a Zipf-like law with a softened head (so the most popular film is rated by
# ~60% of the users, not ~100% as plain Zipf would give once heavy users have
# rated every popular film) and a steeper tail (films with a handful of
# ratings). The top film's weight is boosted so there is a clear winner,
# like Star Wars in MovieLens-100k (583 ratings vs 509 for the runner-up).
FILM_POP_OFFSET = 50.0
FILM_POP_EXPONENT = 1.0
FILM_POP_TAIL = 2.2
FILM_POP_TOP_BOOST = 1.4
FILM_ACTIVITY_SIGMA = 1.05   # lognormal spread of ratings per user

GENRES = [
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
# Relative genre frequencies of MovieLens-100k ("unknown" handled separately).
GENRE_WEIGHTS = [
    0, 251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101,
    251, 71, 27,
]

TITLE_ADJ = _dedupe("""
Silent Broken Golden Hidden Last Lonely Secret Dark Bright Crimson Wild
Frozen Burning Distant Endless Forgotten Restless Quiet Savage Shattered
Sleeping Stolen Velvet Wicked Crooked Hollow Iron Scarlet Silver Bitter
Brave Cold Dangerous Deadly Electric Empty Eternal Fallen False Final
Fragile Gentle Grand Green Haunted Honest Hungry Invisible Little Lost
Lucky Mad Midnight Naked Northern Painted Perfect Private Proud Purple
Rising Royal Rusty Sacred Second Shadow Sharp Slow Southern Sweet Tender
Thin Twisted Violent Wandering Western White Blue Black Red Yellow Long
Short Hard Soft Strange Sudden Terrible True Uncertain Unfinished Usual
Wandering Warm Winter Summer Autumn Spring Young Old Eastern Blind Deep
High Lazy Loud Modern Nervous Ordinary Patient Rebel Restless Rough Tiny
Ugly Vanishing Wounded Brilliant Careless Curious Desperate Eager Famous
Fearless Foolish Gilded Glass Hollow Infinite Jealous Marble Mighty
""".split())

TITLE_NOUN = _dedupe("""
Harbor River Mountain Garden Station Bridge Island Valley Desert Forest
Ocean Road Highway City Town Village House Castle Palace Tower Church
Kingdom Empire Republic Frontier Border Horizon Shore Coast Canyon Prairie
Storm Rain Thunder Lightning Fire Flame Smoke Ash Dust Stone Diamond Pearl
Crown Sword Shield Arrow Gun Bullet Knife Rose Lily Orchid Tiger Wolf Fox
Eagle Falcon Raven Hawk Lion Horse Dragon Serpent Spider Angel Devil Ghost
Stranger Soldier Sailor Hunter Dancer Singer Gambler Detective Doctor
Teacher Preacher Lawyer Judge Witness Thief Spy Prince Princess King Queen
Knight Pilot Captain Sheriff Outlaw Cowboy Farmer Widow Orphan Daughter
Son Brother Sister Mother Father Lover Friend Enemy Heart Mind Soul Dream
Promise Secret Lie Truth Journey Voyage Escape Return Revenge Rescue
Betrayal Silence Echo Shadow Light Darkness Night Morning Evening Summer
Winter Season Moon Sun Star Planet Comet Galaxy Machine Engine Signal Code
Letter Diary Photograph Portrait Mirror Window Door Key Clock Hour Minute
Circus Carnival Hotel Casino Theater Museum Library Academy Hospital Prison
""".split())

TITLE_PLACE = """
Paris Lisbon Vienna Berlin Venice Rome Cairo Tokyo Shanghai Bombay Havana
Mexico Chicago Boston Brooklyn Memphis Dallas Denver Seattle Texas Nevada
Montana Alaska Manhattan Hollywood Casablanca Marseille Naples Prague
Budapest Warsaw Istanbul Athens Dublin London Moscow Peking Sydney Rio
Tangier Calcutta Saigon Monaco Geneva Oslo Madrid Seville Bangkok
""".split()

TITLE_NAME = """
Annie Billy Charlie Daisy Eddie Frankie Georgia Harry Iris Jack Kate Lucy
Mary Nick Oscar Paul Rosie Sam Tommy Vera Walter Zelda Max Nora Otto Ruby
Felix Hazel Jimmy Lola Marty Nell Pete Rita Stella Toby Ursula Vince Wanda
""".split()

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"]


def film_title_base(rng):
    """One title without its year, from a handful of common title shapes."""
    adj = TITLE_ADJ
    noun = TITLE_NOUN
    shape = rng.random()
    if shape < 0.30:
        return "The %s %s" % (rng.choice(adj), rng.choice(noun))
    if shape < 0.50:
        return "%s of the %s" % (rng.choice(noun), rng.choice(noun))
    if shape < 0.62:
        return "%s %s" % (rng.choice(adj), rng.choice(noun))
    if shape < 0.72:
        return "%s in %s" % (rng.choice(noun), rng.choice(TITLE_PLACE))
    if shape < 0.82:
        return "%s's %s" % (rng.choice(TITLE_NAME), rng.choice(noun))
    if shape < 0.90:
        return "The %s and the %s" % (rng.choice(noun), rng.choice(noun))
    if shape < 0.96:
        return "A %s for %s" % (rng.choice(noun), rng.choice(TITLE_NAME))
    return "The %s %s of %s" % (rng.choice(adj), rng.choice(noun),
                                rng.choice(TITLE_PLACE))


def film_year(rng):
    """Release year: mostly the 1990s, like MovieLens-100k, with older titles."""
    r = rng.random()
    if r < 0.70:
        return 1990 + int(rng.random() * 9)          # 1990..1998
    if r < 0.85:
        return 1970 + int(rng.random() * 20)         # 1970..1989
    return 1930 + int(rng.random() * 40)             # 1930..1969


def film_items(rng, n_items):
    """Build the item table: titles, dates, genres, URL (all strings)."""
    used = set()
    items = []
    genre_draw = make_sampler(rng, GENRE_WEIGHTS)
    for item_id in range(1, n_items + 1):
        # Rejection on duplicates; the title space (>40k shapes x words) is
        # far larger than the 20k-item cap, so this terminates quickly.
        while True:
            base = film_title_base(rng)
            if base not in used:
                used.add(base)
                break
        year = film_year(rng)
        title = "%s (%d)" % (base, year)
        date = "%02d-%s-%d" % (1 + int(rng.random() * 28),
                               MONTHS[int(rng.random() * 12)], year)
        url = "http://us.imdb.com/M/title-exact?" + urllib.parse.quote(
            title, safe="()")
        flags = [0] * len(GENRES)
        if rng.random() < 0.002:
            flags[0] = 1                              # "unknown" genre only
        else:
            r = rng.random()
            n_genres = 1 if r < 0.5 else (2 if r < 0.85 else 3)
            picked = 0
            while picked < n_genres:
                g = genre_draw()
                if not flags[g]:
                    flags[g] = 1
                    picked += 1
        items.append((item_id, title, date, url, flags))
    return items


def write_film_items(items, path):
    with open_out(path) as f:
        for item_id, title, date, url, flags in items:
            f.write("%d|%s|%s||%s|%s\n" % (item_id, title, date, url,
                                            "|".join(str(x) for x in flags)))


def film_limits(n_ratings, n_users, n_items):
    """(min, max) ratings per user; exits with a message if infeasible.

    Every user gets at least 20 ratings (fewer only for tiny test sets with
    under 20 ratings per user on average) and at most 44% of the catalogue
    (MovieLens-100k: 737 of 1682), which keeps rejection sampling fast.
    """
    if n_users < 1 or n_items < 1 or n_ratings < n_users:
        raise SystemExit("film: need users >= 1, items >= 1, ratings >= users")
    user_min = min(FILM_MIN_PER_USER, n_ratings // n_users)
    user_cap = max(user_min, int(n_items * 0.44))
    if n_ratings > user_cap * n_users:
        raise SystemExit("film: %d ratings do not fit %d users x 44%% of %d "
                         "items; use more items" % (n_ratings, n_users, n_items))
    return user_min, user_cap


class FilmModel:
    """Latent-factor model behind the ratings.

    rating = round(clip(MEAN + b_user + b_item + u.v + noise, 1, 5))
    with rank-5 gaussian factors. Item factors are partly shared by genre so
    films of a genre are liked by the same users (gives ALS real structure).
    """

    def __init__(self, rng, n_users, n_items, n_ratings, items):
        self.user_min, self.user_cap = film_limits(n_ratings, n_users, n_items)
        self.n_users = n_users
        self.n_items = n_items
        g = rng.gauss
        sd = FILM_FACTOR_SD

        # -- items: popularity, bias, factors --------------------------------
        ranks = list(range(n_items))
        rng.shuffle(ranks)                  # popularity rank of item index i
        self.pop_weight = [(r + FILM_POP_OFFSET) ** -FILM_POP_EXPONENT
                           * math.exp(-FILM_POP_TAIL * r / n_items)
                           for r in ranks]
        # one blockbuster clearly ahead of the rest (MovieLens: Star Wars)
        self.pop_weight[ranks.index(0)] *= FILM_POP_TOP_BOOST
        log_n = math.log(n_items + 1)
        genre_vec = [[g(0.0, sd) for _ in range(FILM_RANK)] for _ in GENRES]
        self.item_bias = []
        self.item_vec = []
        for i in range(n_items):
            # popularity score in [0,1]: 1 for the most popular film
            pop = 1.0 - math.log(ranks[i] + 1) / log_n
            self.item_bias.append(FILM_POP_BIAS * (pop - 0.5)
                                  + g(0.0, FILM_ITEM_BIAS_SD))
            flags = items[i][4]
            gs = [k for k in range(len(GENRES)) if flags[k]]
            # 60% of the variance from the genres, 40% item-specific
            scale = math.sqrt(0.6 / len(gs))
            vec = tuple(scale * sum(genre_vec[k][d] for k in gs)
                        + math.sqrt(0.4) * g(0.0, sd)
                        for d in range(FILM_RANK))
            self.item_vec.append(vec)

        # -- users: activity, bias, factors, active period -------------------
        raw = [math.exp(g(0.0, FILM_ACTIVITY_SIGMA)) for _ in range(n_users)]
        self.counts = allocate_counts(n_ratings, raw, self.user_min,
                                      self.user_cap)
        self.user_bias = [g(0.0, FILM_USER_BIAS_SD) for _ in range(n_users)]
        self.user_vec = [tuple(g(0.0, sd) for _ in range(FILM_RANK))
                         for _ in range(n_users)]
        span = FILM_T_END - FILM_T_START
        self.user_start = []
        self.user_mean_gap = []
        for _ in range(n_users):
            # Most users rate in a burst after they join, some keep coming back.
            start = FILM_T_START + int(rng.random() * span * 0.95)
            self.user_start.append(start)
            self.user_mean_gap.append(86400.0 * math.exp(g(1.5, 1.3)))

    def user_rows(self, rng, u, draw_item):
        """Return the lines of user index u (distinct items, in draw order)."""
        n = self.counts[u]
        a0, a1, a2, a3, a4 = self.user_vec[u]
        base = FILM_MEAN + self.user_bias[u]
        item_bias = self.item_bias
        item_vec = self.item_vec
        gauss = rng.gauss
        expo = rng.expovariate
        rnd = rng.random
        start = self.user_start[u]
        lam = 1.0 / self.user_mean_gap[u]
        uid = u + 1
        chosen = set()
        rows = []
        tries = 0
        while len(rows) < n:
            i = draw_item()
            tries += 1
            if i in chosen:
                if tries > 50 * n:
                    # Pathological rejection rate: fall back to the first
                    # unrated items in id order (never hit with the defaults).
                    i = next(j for j in range(self.n_items) if j not in chosen)
                else:
                    continue
            chosen.add(i)
            v0, v1, v2, v3, v4 = item_vec[i]
            x = (base + item_bias[i] + a0 * v0 + a1 * v1 + a2 * v2 + a3 * v3
                 + a4 * v4 + gauss(0.0, FILM_NOISE_SD))
            # Occasional disappointment: a one-sided noise term that gives
            # the left skew of real ratings (many 4s, few 1s but not none).
            if rnd() < FILM_LETDOWN_P:
                x -= expo(FILM_LETDOWN_RATE)
            r = int(x + 0.5) if x > 0.5 else 1   # round half up
            if r < 1:
                r = 1
            elif r > 5:
                r = 5
            t = start + int(expo(lam))
            if t > FILM_T_END:
                t = FILM_T_END - int(rng.random() * 86400)
            rows.append("%d\t%d\t%d\t%d\n" % (uid, i + 1, r, t))
        return rows


def allocate_counts(total, weights, floor_, cap):
    """Split `total` into integers floor_ <= c_i <= cap roughly ~ weights.

    Finds a scale s with sum(min(cap, floor_ + s*w_i)) == total (bisection),
    then hands out the rounding remainder by largest fractional part
    (ties broken by index, so the result is deterministic).
    """
    n = len(weights)

    def filled(s):
        return sum(min(cap, floor_ + s * w) for w in weights)

    lo, hi = 0.0, 1.0
    while filled(hi) < total:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if filled(mid) < total:
            lo = mid
        else:
            hi = mid
    exact = [min(cap, floor_ + hi * w) for w in weights]
    counts = [int(x) for x in exact]
    short = total - sum(counts)
    order = sorted(range(n), key=lambda i: (-(exact[i] - counts[i]), i))
    k = 0
    while short > 0:
        i = order[k % n]
        if counts[i] < cap:
            counts[i] += 1
            short -= 1
        k += 1
    while short < 0:               # can't happen after bisection, but be safe
        i = order[k % n]
        if counts[i] > floor_:
            counts[i] -= 1
            short += 1
        k += 1
    return counts


def gen_film(n_ratings, n_users, n_items, seed, data_path, item_path,
             order="shuffled"):
    """Write ratings (+ items) files.

    order="shuffled": rows held in memory and shuffled (like u.data);
    order="by-user": rows streamed user by user (like MovieLens-1M's
    ratings.dat), constant memory, used for the large variants.
    Both orders contain exactly the same rows for the same arguments.
    """
    film_limits(n_ratings, n_users, n_items)    # fail before writing files
    rng = random.Random(seed)
    items = film_items(rng, n_items)
    write_film_items(items, item_path)
    model = FilmModel(rng, n_users, n_items, n_ratings, items)
    draw_item = make_sampler(rng, model.pop_weight)
    if order == "shuffled":
        rows = []
        for u in range(n_users):
            rows.extend(model.user_rows(rng, u, draw_item))
        rng.shuffle(rows)
        with open_out(data_path) as f:
            f.write("".join(rows))
    elif order == "by-user":
        with open_out(data_path) as f:
            buf = []
            pending = 0
            for u in range(n_users):
                rows = model.user_rows(rng, u, draw_item)
                buf.append("".join(rows))
                pending += len(rows)
                if pending >= 200000:
                    f.write("".join(buf))
                    buf = []
                    pending = 0
            f.write("".join(buf))
    else:
        raise ValueError(order)


# --------------------------------------------------------------------------
# friends: fakefriends.csv
# --------------------------------------------------------------------------

FRIEND_NAMES = """
Will Jean-Luc Hugh Deanna Quark Weyoun Gowron Ben Keiko Nerys Julian Miles
Worf Data Beverly Geordi Kasidy Odo Rom Nog Brunt Lwaxana Leeta Martok Garak
Dukat Elim Kira Jadzia Ezri Tasha Wesley Guinan Seven Kathryn Chakotay Tuvok
Harry Tom Anna James Maria David Sophie Lucas Emma Oliver Chloe Noah Mia Liam
Zoe Ethan Grace Leo Ruth Sam Nina Hugo Ivy
""".split()


def gen_friends(rows, seed, path):
    rng = random.Random(seed)
    with open_out(path) as f:
        for i in range(rows):
            name = FRIEND_NAMES[int(rng.random() * len(FRIEND_NAMES))]
            age = 18 + int(rng.random() * 52)           # 18..69
            friends = 2 + int(rng.random() * 498)       # 2..499
            f.write("%d,%s,%d,%d\n" % (i, name, age, friends))


# --------------------------------------------------------------------------
# weather: 1800.csv (NOAA GHCN-daily extract shape)
# --------------------------------------------------------------------------

# station id, annual mean (deg C), seasonal amplitude, mean diurnal range,
# P(wet | dry yesterday), P(wet | wet yesterday), mean wet-day rain (tenths mm)
WEATHER_STATIONS = [
    ("ITE00100554", 11.0, 11.5, 8.5, 0.20, 0.55, 75.0),   # northern Italy
    ("EZE00100082", 8.0, 11.0, 8.0, 0.25, 0.55, 40.0),    # central Bohemia
]


def gen_weather(seed, path, year=1800):
    rng = random.Random(seed)
    g = rng.gauss
    day = datetime.date(year, 1, 1)
    n_days = (datetime.date(year + 1, 1, 1) - day).days   # 1800: not leap
    shared = 0.0                               # large-scale weather anomaly
    local = [0.0] * len(WEATHER_STATIONS)
    wet = [False] * len(WEATHER_STATIONS)
    with open_out(path) as f:
        for d in range(n_days):
            stamp = day.strftime("%Y%m%d")
            # AR(1) anomalies: warm/cold spells lasting several days.
            shared = 0.75 * shared + g(0.0, 2.3)
            # coldest around 15 January, warmest mid July
            phase = math.cos(2.0 * math.pi * (d - 15) / n_days)
            # day-to-day swings are larger in winter than in summer
            swing = 1.0 + 0.35 * phase
            for s, (sid, mean, amp, dtr, p_dry, p_wet, rain) in enumerate(
                    WEATHER_STATIONS):
                local[s] = 0.6 * local[s] + g(0.0, 1.4)
                wet[s] = rng.random() < (p_wet if wet[s] else p_dry)
                centre = mean - amp * phase + swing * (shared + local[s])
                rng_c = max(2.0, dtr + g(0.0, 1.5) - (3.0 if wet[s] else 0.0))
                tmax = int(round((centre + rng_c / 2.0) * 10.0))
                tmin = int(round((centre - rng_c / 2.0) * 10.0))
                if tmin >= tmax:
                    tmin = tmax - 10
                prcp = max(1, int(rng.expovariate(1.0 / rain))) if wet[s] else 0
                f.write("%s,%s,TMAX,%d,,,E,\n" % (sid, stamp, tmax))
                f.write("%s,%s,TMIN,%d,,,E,\n" % (sid, stamp, tmin))
                f.write("%s,%s,PRCP,%d,,,E,\n" % (sid, stamp, prcp))
            day += datetime.timedelta(days=1)


# --------------------------------------------------------------------------
# orders: customer-orders.csv
# --------------------------------------------------------------------------


def gen_orders(rows, customers, items, seed, path, customer_sigma=0.0):
    """customer_id,item_id,amount rows; amounts 0.01..99.99 from integer cents.

    customer_sigma > 0 gives customers lognormal activity instead of uniform,
    so that with many customers a few never order (as the course's 10M file).
    """
    rng = random.Random(seed)
    rnd = rng.random
    if customer_sigma > 0:
        draw_customer = make_sampler(
            rng, [math.exp(rng.gauss(0.0, customer_sigma))
                  for _ in range(customers)])
    else:
        def draw_customer():
            return int(rnd() * customers)
    with open_out(path) as f:
        buf = []
        for n in range(rows):
            c = draw_customer()
            item = int(rnd() * items)
            cents = 1 + int(rnd() * 9999)
            buf.append("%d,%d,%d.%02d\n" % (c, item, cents // 100, cents % 100))
            if len(buf) >= 100000:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


# --------------------------------------------------------------------------
# book: book.txt
# --------------------------------------------------------------------------

# Most frequent words, in intended frequency order (rank 0 = most frequent).
# Modelled on a self-help book about running a small business, whose top
# words are "you", "to", "your", "the", "a", "of", "and".
BOOK_TOP = """
you to your the a of and that it in is for be can on are if this or with
business will as have do not what they at an but more from all by I so
about just how get one some people time them their there make like need
want when would also these way other than which out up work who because
it's don't you're most really many even those my me we our new only into
much may any own first could should every no has was were been being had
did does its over such through before after where while then here well
very still too right good best sure lot find help take give go know
think see look use keep start pay money customers product company job
year years day life world market
""".split()

BOOK_CONTRACTIONS = """
can't won't isn't aren't doesn't didn't wasn't you'll you've you'd I'm
I've I'll I'd that's there's what's let's they're we're it'll they'll
wouldn't shouldn't couldn't haven't
""".split()

BOOK_HYPHENATED = """
self-employment self-employed full-time part-time long-term short-term
well-known small-business one-time high-quality word-of-mouth
low-cost follow-up start-up day-to-day face-to-face real-world
non-compete year-end work-life
""".split()

BOOK_NUMBERS = "2015 2014 2016 10 20 30 50 100 1,000 5 3 90 40 25 12 24 401k".split()

# Base forms; plurals and verb forms are derived below.
BOOK_NOUNS = """
account action advice advertisement agency agreement amount answer app
area article asset audience balance bank bill blog board bonus book boss
brand budget building cash chance change choice client code colleague
commission community competitor computer conference contact content
contract contractor cost country course credit culture customer deadline
deal debt decision degree design detail difference director discount
door dream economy education effort email employee employer energy event
example expense experience expert fact family fear fee feedback field
figure file fund future goal group growth habit health home hour idea
image impact income industry information insurance interest investment
invoice issue item key kind knowledge lawyer leader lesson level license
limit line list loan location loss manager margin market meeting member
message method mind mistake model moment month name network news number
office offer opportunity option order owner page partner patent payment
percent period person phone place plan platform point policy position
post price problem process profit program project promise purchase
quality question rate reason record relationship report reputation
request research resource result retirement review risk role rule salary
sale savings schedule school season section sector service share site
situation size skill software solution source space staff stage step
stock store story strategy strength structure student success supplier
support system table talent target task tax team term test thing thought
tool topic trade training trend trust type value vendor version video
view vision website week weekend word worker writer achievement activity
address adult advantage afternoon age agent aim airline album alternative
analyst anniversary apartment application appointment approval argument
arrangement artist aspect assignment assistant assumption attempt
attention attitude attorney author authority award background bag banker
bargain base battle bed birthday bottle boundary box branch breakfast
broker brother bug burden button buyer calendar campaign candidate
capacity capital car card career category cause celebration center
century certificate chain chair challenge channel chapter character
charity chart checklist city class classroom clock coach coffee
collection college column comment commitment committee comparison
competition complaint component concept concern condition confidence
connection consequence consultant consumer contribution conversation
copy corner corporation council counter couple courage court coverage
craft cycle dad database date daughter definition delay delivery demand
department deposit desk destination development device diet dinner
direction disaster discipline discussion distance distribution document
dollar draft drawing driver duty edge editor effect element emergency
emotion employment engineer entrepreneur environment equipment error
estate estimate evening exchange excuse executive exercise exhibition
expansion expectation explanation facility factor factory failure faith
fan farm fashion fault feature feeling festival finding firm fitness
flight floor food force forecast form format formula foundation
framework freedom freelancer friend frustration function funding game
gap garage gift government graduate guarantee guest guide guideline hand
headline hobby holiday hospital host house household husband identity
illness improvement incentive increase individual inquiry insight
instance institution instruction instrument intern interview
introduction inventory invitation island journal journey judgment
kitchen label labor landlord language laptop law layer lead leadership
lease lecture letter liability library lifestyle link loyalty luck
machine magazine maintenance majority mall manual manufacturer map match
meal measure mentor merchant mile milestone minute mission mom mortgage
motivation movement neighbor newsletter niche night note notice novel
objective obligation occasion offering officer operation opinion
organization outcome output package pain painting paper parent
participant party passion pattern peer penalty pension permission permit
photo picture piece pitch plant player pleasure pocket podcast portfolio
possibility poster potential practice preference premium presence
presentation pressure printer priority privacy procedure producer
production profession profile progress promotion proposal prospect
protection provider purpose quarter quote radio range ratio reader
reality recession recommendation reference region regulation reminder
rent repair representative requirement reservation response
responsibility restaurant revenue reward routine sample satisfaction
scale scenario scene screen search secret seminar sense session setting
shift shop signal signature slide slot society specialist speech
spreadsheet standard statement stress studio style subject subscription
suggestion suit summary survey symptom tactic teacher technique
technology template temptation tenant territory text theory ticket tip
title town track tradition traffic transaction translation trip truck
tutorial uncle union unit university update user vacation variety
vehicle venture visitor volume volunteer wage wall warehouse warning
weakness weather wedding window winner workload workshop yard
""".split()

BOOK_VERBS = """
accept achieve add afford agree allow answer apply appreciate approach
arrange ask assume attract avoid believe benefit borrow build calculate
call care charge check choose claim collect combine compare compete
complain complete consider contact continue contribute control convince
count create decide deliver depend deserve develop discover discuss earn
enjoy ensure establish expect explain fail feel figure file finish focus
follow form gain grow handle happen hate hire hope ignore imagine improve
include increase invest involve join jump land launch learn leave let
limit listen live manage market matter measure meet mention miss move
negotiate notice obtain offer open operate order own pay perform pick
plan prefer prepare present prevent price produce promote protect prove
provide publish pull push qualify reach realize receive recommend reduce
refer remember remove rent replace require respect respond rest return
review risk save sell send serve settle share show sign solve spend
start stay stick succeed suggest supply support survive talk teach tend
test thank track train travel trust try turn understand update value
visit wait walk wonder worry write adapt adjust admire advertise advise
analyze announce anticipate appear argue assess assign assist attach
attend automate bake balance bother brand browse budget capture
celebrate challenge change chase clean clear close coach collaborate
comment commit communicate compile concentrate confirm connect convert
cook copy correct cover crash cross customize damage decline define
delay delegate delete demand describe design determine differ disappear
discount dismiss display distribute divide document donate double
download edit educate eliminate email emphasize employ encourage end
engage enter estimate evaluate examine exceed exchange exist expand
experiment explore export express extend face fill filter fix force
forecast format frame fund gather generate guarantee guess guide
highlight host hunt identify impress indicate inform inspire install
insure integrate intend interview introduce invite issue judge kick
knock label last laugh lease license list load lock love maintain mark
match maximize minimize mix monitor motivate multiply name network note
occur outsource paint park pass pause perceive permit persuade phone
place play please point post postpone pour practice pray predict
preserve press pretend print process profit project promise propose
purchase question raise rank rate react record recover recruit register
reject relate relax release rely remind renew repair repeat report
represent request research resolve retire reveal reward sample schedule
score search secure select separate shape shift sort specialize stack
state store stress structure study submit subscribe summarize surprise
switch target thrive total touch trade transfer translate treat trigger
upgrade upload verify volunteer vote wash waste watch wish
""".split()

# Irregular verbs listed with their forms (no rule derivation).
BOOK_IRREGULAR = """
bring brought buy bought catch caught come came do did done doing
drive drove driven eat ate fall fell fallen fight fought find found
forget forgot forgotten give gave given giving go went gone going
grow grew grown hold held keep kept know knew known lose lost
lost make made making mean meant put putting run ran running say said
saying see saw seen seeing sell sold spend spent take took taken taking
tell told think thought understand understood win won write wrote written
writing
""".split()

BOOK_ADJECTIVES = """
able actual afraid available bad basic big busy careful certain cheap
clear common complete constant creative critical current difficult
direct easy effective entire essential excellent expensive extra fair
familiar famous fast financial flexible free fresh friendly full general
great happy hard healthy high huge ideal important independent
interesting large late legal little local long low main major modern
monthly natural necessary negative nice normal obvious official online
open original personal physical popular positive possible powerful
practical private professional profitable proper public quick rare ready
real recent regular reliable responsible rich safe serious significant
similar simple single small social special specific stable steady strong
successful sudden sufficient typical unique unusual useful valuable
various weekly whole wide willing wise worth wrong accurate additional
advanced affordable aggressive ambitious annual anxious attractive
automatic average aware beautiful brief broad calm capable casual
central cheerful chronic civil clean clever close comfortable commercial
competitive complex confident consistent convenient corporate costly
crucial curious dangerous decent dedicated deep desperate digital dirty
distinct diverse domestic dramatic dull eager early efficient elegant
emotional empty endless enormous equal eventual evident exact excited
exciting exclusive existing external extreme fabulous false favorite
fine firm flat foreign formal former fortunate frequent frustrating
fundamental funny generous genuine global gradual grateful guilty handy
harsh helpful hidden honest hopeful horrible hot humble illegal
immediate impossible impressive incredible informal initial innocent
intense internal international invisible irrelevant junior lazy lean
legitimate literal logical loyal lucky lucrative massive mature
meaningful medical mental mere minimal minor mobile moderate modest
moral narrow national nervous neutral nearby numerous occasional odd old
operational optimal optional ordinary organic overall painful passive
patient perfect permanent pleasant polite poor precious precise
predictable pretty primary prior productive proud pure quiet random
rapid rational raw reasonable relevant remote repetitive rigid rough
rude rural sad scared secure senior sensitive separate severe sharp
short sick silly slight slow smart smooth soft solid sophisticated spare
stiff strange strict stupid subtle suitable supportive sustainable sweet
talented tall technical temporary terrible thick thin tight tiny total
tough traditional tremendous tricky true ugly unable unfair unhappy
unknown unlikely upset urgent usual vague valid vast visible vital
vulnerable warm weak wealthy weird wild wonderful young
""".split()

# Adjectives that take no -ly adverb (or whose adverb the simple rules in
# _ly() would misspell).
BOOK_NO_LY = {
    "afraid", "big", "busy", "cheap", "dirty", "dull", "early", "empty",
    "existing", "extra", "fast", "favorite", "friendly", "hidden", "hot",
    "junior", "lean", "little", "long", "low", "main", "major", "mobile",
    "modern", "monthly", "nearby", "old", "overall", "pretty", "scared",
    "senior", "silly", "single", "small", "spare", "stable", "tall", "tiny",
    "tricky", "ugly", "unable", "unknown", "unlikely", "upset", "weekly",
    "whole", "worth", "young", "advanced", "available", "dedicated",
    "excited", "funny", "difficult", "online", "average", "aware",
    "complex", "corporate", "costly", "foreign", "minor", "prior", "raw",
    "sick", "sophisticated", "talented", "tough", "wealthy", "numerous",
}

BOOK_COMPARATIVES = """
better worse bigger smaller cheaper easier faster harder higher lower
larger longer shorter stronger weaker richer safer quicker greater wider
newer older simpler smarter earlier happier riskier busier fewer
""".split()

BOOK_ADVERBS = """
actually already always almost probably usually often sometimes never
simply quickly easily finally especially certainly clearly exactly
generally honestly instead likely maybe nearly perhaps quite rather
really soon together anyway else ever later less least today tomorrow
yet once twice enough
""".split()

# Verbs that double their final consonant (planning, preferred).
BOOK_DOUBLE = {"plan", "let", "refer", "prefer", "control", "commit",
               "occur", "permit", "submit", "transfer", "format"}
# Verbs in BOOK_VERBS with an irregular past (the -s and -ing forms are regular).
BOOK_PAST = {
    "build": "built", "choose": "chose", "feel": "felt", "grow": "grew",
    "leave": "left", "let": "let", "meet": "met", "pay": "paid",
    "sell": "sold", "send": "sent", "spend": "spent", "stick": "stuck",
    "teach": "taught", "understand": "understood", "write": "wrote",
}
# Nouns in BOOK_NOUNS without a plural form.
BOOK_NO_PLURAL = {
    "advice", "cash", "education", "energy", "feedback", "growth", "health",
    "information", "insurance", "knowledge", "news", "percent", "research",
    "retirement", "savings", "software", "staff", "support", "trust",
    "equipment", "fitness", "freedom", "funding", "labor", "leadership",
    "loyalty", "luck", "maintenance", "potential", "pressure", "privacy",
    "progress", "stress", "traffic", "weather", "attention", "confidence",
    "courage", "coverage", "employment", "faith", "presence", "satisfaction",
    "training",
}


def _plural(w):
    if w.endswith(("s", "x", "z", "ch", "sh")):
        return w + "es"
    if w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ies"
    return w + "s"


def _ing(w):
    if w.endswith("ie"):
        return w[:-2] + "ying"
    if w.endswith("e") and not w.endswith(("ee", "ye", "oe")):
        return w[:-1] + "ing"
    if w in BOOK_DOUBLE:
        return w + w[-1] + "ing"
    return w + "ing"


def _ed(w):
    if w in BOOK_PAST:
        return BOOK_PAST[w]
    if w.endswith("e"):
        return w + "d"
    if w.endswith("y") and w[-2] not in "aeiou":
        return w[:-1] + "ied"
    if w in BOOK_DOUBLE:
        return w + w[-1] + "ed"
    return w + "ed"


def _ly(w):
    if w == "true":
        return "truly"
    if w == "public":
        return "publicly"
    if w.endswith("le"):
        return w[:-1] + "y"          # simple -> simply
    if w.endswith("y"):
        return w[:-1] + "ily"        # easy -> easily
    if w.endswith("ic"):
        return w + "ally"            # basic -> basically
    if w.endswith("ll"):
        return w + "y"               # full -> fully
    return w + "ly"


def book_vocabulary(rng):
    """Return the vocabulary in frequency-rank order (a few thousand words).

    Top words keep their listed order; the other words are ordered by a
    weighted random permutation where base forms tend to rank above
    derived ones (Efraimidis-Spirakis keys u**(1/w)).
    """
    top = _dedupe(BOOK_TOP)
    seen = set(top)
    rest = []   # (word, weight)

    def add(word, weight):
        if word not in seen:
            seen.add(word)
            rest.append((word, weight))

    for w in BOOK_CONTRACTIONS:
        add(w, 6.0)
    for w in BOOK_ADVERBS:
        add(w, 5.0)
    for w in BOOK_NOUNS:
        add(w, 3.0)
        if w not in BOOK_NO_PLURAL:
            add(_plural(w), 1.5)
    for w in BOOK_VERBS:
        add(w, 3.0)
        add(_plural(w), 1.0)
        add(_ing(w), 1.2)
        add(_ed(w), 1.0)
    for w in BOOK_IRREGULAR:
        add(w, 2.0)
    for w in BOOK_ADJECTIVES:
        add(w, 2.5)
        if w not in BOOK_NO_LY:
            add(_ly(w), 1.0)
    for w in BOOK_COMPARATIVES:
        add(w, 1.5)
    for w in BOOK_HYPHENATED:
        add(w, 1.0)
    for w in BOOK_NUMBERS:
        add(w, 0.6)
    keyed = [(rng.random() ** (1.0 / wt), word) for word, wt in rest]
    keyed.sort(key=lambda kw: (-kw[0], kw[1]))
    return top + [word for _, word in keyed]


SENTENCE_STARTS = """
You If The This But So When It's Your And Most What Many That There How
Some Even Just Don't Remember Now Once Often Sometimes Also Because
""".split()


def gen_book(n_words, seed, path):
    rng = random.Random(seed)
    rnd = rng.random
    vocab = book_vocabulary(rng)
    # Zipf-like word frequencies with a slightly flattened head.
    draw_word = make_sampler(rng, [(r + 4.0) ** -1.05 for r in range(len(vocab))])
    heading_words = [w for w in BOOK_NOUNS + BOOK_ADJECTIVES]

    def sentence():
        n = max(3, int(rng.gauss(15.0, 6.0)))
        words = []
        if rnd() < 0.35:
            words.append(SENTENCE_STARTS[int(rnd() * len(SENTENCE_STARTS))])
        prev = None
        while len(words) < n:
            w = vocab[draw_word()]
            if w == prev:          # avoid "the the"
                continue
            prev = w
            if words and rnd() < 0.05:
                words[-1] += ","
            words.append(w)
        first = words[0]
        words[0] = first[0].upper() + first[1:]
        r = rnd()
        end = "." if r < 0.88 else ("?" if r < 0.96 else "!")
        return " ".join(words) + end, n

    written = 0
    chapter = 0
    paragraphs = []
    while written < n_words:
        if written == 0 or rnd() < 0.03:
            chapter += 1
            title = " ".join(heading_words[int(rnd() * len(heading_words))]
                             .capitalize() for _ in range(2 + int(rnd() * 3)))
            paragraphs.append("Chapter %d: %s" % (chapter, title))
            written += 2 + title.count(" ") + 1
        sentences = []
        for _ in range(2 + int(rnd() * 6)):
            s, n = sentence()
            sentences.append(s)
            written += n
        paragraphs.append(" ".join(sentences))
    with open_out(path) as f:
        # One paragraph per line, blank line between paragraphs.
        f.write("\n\n".join(paragraphs) + "\n")


# --------------------------------------------------------------------------
# composite commands
# --------------------------------------------------------------------------

def gen_transactions(n_train, n_files, per_file, seed, out_dir):
    """Card transactions for the fraud lab: train.csv (labelled history) and
    stream/part-NNNNN.csv (new transactions, one file per trigger), each row
    id,amount,hour,distance_km,foreign,fraud. About 3% are frauds: larger
    amounts, mostly at night, far from home, often abroad."""
    rng = random.Random(seed)
    os.makedirs(os.path.join(out_dir, "stream"), exist_ok=True)

    def row(i):
        fraud = rng.random() < 0.03
        if fraud:
            amount = round(rng.lognormvariate(5.5, 0.8), 2)
            hour = rng.choice([0, 1, 2, 3, 4, 23]) if rng.random() < 0.7 else rng.randrange(24)
            distance = round(rng.uniform(50, 3000), 1)
            foreign = 1 if rng.random() < 0.6 else 0
        else:
            amount = round(rng.lognormvariate(3.2, 0.9), 2)
            hour = min(23, max(0, int(rng.gauss(14, 4))))
            distance = round(rng.expovariate(1 / 8.0), 1)
            foreign = 1 if rng.random() < 0.03 else 0
        return "%d,%.2f,%d,%.1f,%d,%d\n" % (i, amount, hour, distance, foreign, int(fraud))

    header = "id,amount,hour,distance_km,foreign,fraud\n"
    with open_out(os.path.join(out_dir, "train.csv")) as f:
        f.write(header)
        for i in range(n_train):
            f.write(row(i))
    next_id = n_train
    for k in range(n_files):
        with open_out(os.path.join(out_dir, "stream", "part-%05d.csv" % k)) as f:
            f.write(header)
            for _ in range(per_file):
                f.write(row(next_id))
                next_id += 1


def gen_iot(n_events, n_files, seed, out_dir):
    """The course's IoT stream (the Databricks `structured-streaming/events`
    shape): JSON lines {"time": unix seconds, "action": "Open" | "Close"},
    spread over n_files files in time order, two days from 2016-07-26 00:00
    UTC. Within a file, times are shuffled by up to 90 s (a little late data)."""
    rng = random.Random(seed)
    os.makedirs(out_dir, exist_ok=True)
    start, span = 1469491200, 2 * 86400
    per_file = [n_events // n_files + (1 if i < n_events % n_files else 0)
                for i in range(n_files)]
    done = 0
    for f, count in enumerate(per_file):
        base = [start + (done + k) * span // n_events for k in range(count)]
        times = [max(start, t - rng.randint(0, 90)) for t in base]
        rng.shuffle(times)
        with open_out(os.path.join(out_dir, "part-%05d.json" % f)) as fh:
            for t in times:
                action = "Open" if rng.random() < 0.55 else "Close"
                fh.write('{"time":%d,"action":"%s"}\n' % (t, action))
        done += count


def timed(label, fn, *args, **kwargs):
    t0 = time.perf_counter()
    fn(*args, **kwargs)
    log("%-28s %7.2f s" % (label, time.perf_counter() - t0))


def cmd_all(out, seed=DEFAULT_SEED):
    """The small committed set (see datasets/README.md)."""
    timed("film.data + film.item", gen_film, 100000, 943, 1682, seed,
          os.path.join(out, "film.data"), os.path.join(out, "film.item"))
    timed("fakefriends.csv", gen_friends, 500, seed,
          os.path.join(out, "fakefriends.csv"))
    timed("1800.csv", gen_weather, seed, os.path.join(out, "1800.csv"))
    timed("customer-orders.csv", gen_orders, 10000, 100, 10000, seed,
          os.path.join(out, "customer-orders.csv"))
    timed("book.txt", gen_book, 100000, seed, os.path.join(out, "book.txt"))
    timed("iot-events/", gen_iot, 1000, 50, seed, os.path.join(out, "iot-events"))
    timed("transactions/", gen_transactions, 5000, 20, 100, seed, os.path.join(out, "transactions"))


# Sizes of the large variants. Users ~ N/106 and items ~ N/60 as in
# MovieLens-100k, with items capped at 20,000 (larger catalogues only add
# films nobody rates). Customers for orders: N/100.
LARGE = {
    "1m": dict(ratings=1000000, users=9434, items=16667, orders=1000000,
               customers=10000),
    "10m": dict(ratings=10000000, users=94340, items=20000, orders=10000000,
                customers=100000),
}
# Lognormal spread of customer activity in the large orders files: chosen so
# that with 100,000 customers and 10M orders ~35 customers never order (the
# course's 10M file has 99,967 distinct customers).
LARGE_CUSTOMER_SIGMA = 1.02


def cmd_large(size, out, seed=DEFAULT_SEED):
    p = LARGE[size]
    timed("film-%s.data + .item" % size, gen_film, p["ratings"], p["users"],
          p["items"], seed, os.path.join(out, "film-%s.data" % size),
          os.path.join(out, "film-%s.item" % size), order="by-user")
    timed("customer-orders-%s.csv" % size, gen_orders, p["orders"],
          p["customers"], 10000, seed,
          os.path.join(out, "customer-orders-%s.csv" % size),
          customer_sigma=LARGE_CUSTOMER_SIGMA)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Deterministic synthetic datasets for the Flint course.")
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("film", help="film.data + film.item (MovieLens-100k shape)")
    p.add_argument("--ratings", type=int, default=100000)
    p.add_argument("--users", type=int, default=943)
    p.add_argument("--items", type=int, default=1682)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--order", choices=["shuffled", "by-user"], default="shuffled",
                   help="shuffled holds all rows in memory; by-user streams")
    p.add_argument("--name", default="film",
                   help="file name stem: writes NAME.data and NAME.item")
    p.add_argument("--out", required=True, help="output directory")

    p = sub.add_parser("friends", help="fakefriends.csv")
    p.add_argument("--rows", type=int, default=500)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output file")

    p = sub.add_parser("weather", help="1800.csv")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output file")

    p = sub.add_parser("orders", help="customer-orders.csv")
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--customers", type=int, default=100)
    p.add_argument("--items", type=int, default=10000)
    p.add_argument("--customer-sigma", type=float, default=0.0,
                   help="lognormal spread of customer activity (0 = uniform)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output file")

    p = sub.add_parser("book", help="book.txt")
    p.add_argument("--words", type=int, default=100000)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output file")

    p = sub.add_parser("iot", help="iot-events/part-*.json (JSON lines, one file per trigger)")
    p.add_argument("--events", type=int, default=1000)
    p.add_argument("--files", type=int, default=50)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output directory")

    p = sub.add_parser("transactions", help="transactions/train.csv + stream/part-*.csv (fraud lab)")
    p.add_argument("--train", type=int, default=5000)
    p.add_argument("--files", type=int, default=20)
    p.add_argument("--per-file", type=int, default=100)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output directory")

    p = sub.add_parser("all", help="the committed small set")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output directory")

    p = sub.add_parser("large", help="film-SIZE.* and customer-orders-SIZE.csv")
    p.add_argument("--size", choices=sorted(LARGE), required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--out", required=True, help="output directory")

    a = ap.parse_args(argv)
    if a.cmd == "film":
        timed("%s.data + %s.item" % (a.name, a.name), gen_film, a.ratings,
              a.users, a.items, a.seed, os.path.join(a.out, a.name + ".data"),
              os.path.join(a.out, a.name + ".item"), order=a.order)
    elif a.cmd == "friends":
        timed(a.out, gen_friends, a.rows, a.seed, a.out)
    elif a.cmd == "weather":
        timed(a.out, gen_weather, a.seed, a.out)
    elif a.cmd == "orders":
        timed(a.out, gen_orders, a.rows, a.customers, a.items, a.seed, a.out,
              customer_sigma=a.customer_sigma)
    elif a.cmd == "book":
        timed(a.out, gen_book, a.words, a.seed, a.out)
    elif a.cmd == "iot":
        timed(a.out, gen_iot, a.events, a.files, a.seed, a.out)
    elif a.cmd == "transactions":
        timed(a.out, gen_transactions, a.train, a.files, a.per_file, a.seed, a.out)
    elif a.cmd == "all":
        cmd_all(a.out, a.seed)
    elif a.cmd == "large":
        cmd_large(a.size, a.out, a.seed)


if __name__ == "__main__":
    main()
