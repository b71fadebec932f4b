"""Words the speaking demo world builds its sentences and signs from (used nowhere else).

English narration: "The {adjective} {person} {verb} the {quality} {thing} {preposition}
the {place}." Every slot but the small ones draws from a shuffled deck per library, so
within 48 sentences no two share a person, verb, thing or place: any three consecutive
words of a sentence name the sentence. Homophones such as miner/minor and writer/rider are
left out, and so are words Whisper tiny.en misheard in espeak-ng's voice on the first
held-out bench run (ranger/wager, above/among, metal/meadow, expensive/expansive): the
narration is heard by a speech recogniser. The other four languages get
sentences of their own (subtitle tracks that are not translations of each other) and words
for signs.
"""

from __future__ import annotations

EN_ADJECTIVES = ("old", "young", "tired", "happy", "angry", "quiet", "clever", "lonely",
                 "brave", "careful", "busy", "hungry", "friendly", "nervous", "proud", "lazy",
                 "gentle", "famous", "honest", "sleepy")  # fmt: skip
EN_PEOPLE = ("farmer", "teacher", "doctor", "sailor", "baker", "painter", "pilot", "student",
             "driver", "singer", "soldier", "lawyer", "nurse", "hunter", "boxer", "dancer",
             "golfer", "waiter", "builder", "gardener", "fisherman", "banker", "captain",
             "cook", "judge", "mayor", "poet", "tailor", "plumber", "butcher", "dentist",
             "fireman", "janitor", "barber", "librarian", "mechanic", "merchant", "musician",
             "officer", "professor", "reporter", "scientist", "shepherd", "surgeon",
             "tourist", "visitor", "wizard", "engineer")  # fmt: skip
EN_VERBS = ("carried", "painted", "opened", "cleaned", "repaired", "sold", "found", "dropped",
            "borrowed", "washed", "moved", "lifted", "counted", "ordered", "built", "locked",
            "packed", "checked", "pushed", "watched", "stole", "hid", "bought", "delivered",
            "dragged", "emptied", "filled", "guarded", "hammered", "inspected", "kicked",
            "measured", "polished", "pulled", "rented", "returned", "shook", "signed",
            "sketched", "sorted", "tested", "threw", "traded", "unlocked", "weighed",
            "wrapped", "folded", "covered")  # fmt: skip
EN_QUALITIES = ("heavy", "small", "broken", "shiny", "dusty", "wooden", "golden", "empty",
                "cheap", "ancient", "plastic", "tiny", "huge", "rusty", "clean", "strange",
                "fragile", "precious", "soft", "enormous")  # fmt: skip
EN_THINGS = ("box", "ladder", "piano", "basket", "window", "bicycle", "teapot", "lantern",
             "blanket", "bucket", "carpet", "mirror", "suitcase", "wagon", "barrel", "camera",
             "hammer", "wallet", "candle", "bottle", "anchor", "backpack", "barometer",
             "cabinet", "chair", "clock", "lamp", "drum", "envelope", "fence", "guitar",
             "helmet", "jacket", "keyboard", "map", "microscope", "necklace", "notebook",
             "oven", "parcel", "pillow", "radio", "saddle", "shovel", "telescope", "trumpet",
             "umbrella", "violin")  # fmt: skip
EN_PREPOSITIONS = ("near", "behind", "inside", "under", "across", "beside", "outside", "around")
EN_PLACES = ("river", "station", "market", "bridge", "park", "garden", "chapel", "garage",
             "museum", "church", "airport", "library", "kitchen", "hospital", "farm", "castle",
             "stadium", "factory", "circus", "village", "forest", "island", "mountain",
             "prison", "school", "temple", "tower", "tunnel", "valley", "warehouse", "zoo",
             "barn", "beach", "canal", "cathedral", "cinema", "desert", "embassy", "fountain",
             "gallery", "hotel", "lake", "lighthouse", "mill", "office", "palace", "pier",
             "quarry")  # fmt: skip

# Other languages: subject, verb phrase, object, place; 20 each.
OTHER: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "subject": ("El panadero", "La maestra", "El marinero", "La doctora", "El piloto",
                    "La pintora", "El jardinero", "La abogada", "El cartero", "La cantante",
                    "El carpintero", "La enfermera", "El pescador", "La jueza", "El minero",
                    "La bailarina", "El cocinero", "La alcaldesa", "El sastre", "La poeta"),
        "verb": ("compró", "vendió", "arregló", "limpió", "encontró", "escondió", "pintó",
                 "rompió", "llevó", "cerró", "abrió", "perdió", "guardó", "midió", "lavó",
                 "probó", "dibujó", "empujó", "robó", "envolvió"),
        "object": ("una escalera", "un reloj", "una maleta", "un paraguas", "una guitarra",
                   "un espejo", "una lámpara", "un cuaderno", "una cesta", "un martillo",
                   "una botella", "un sombrero", "una bicicleta", "un tambor", "una alfombra",
                   "un violín", "una cámara", "un cubo", "una vela", "un mapa"),
        "place": ("en el mercado", "junto al río", "detrás de la iglesia", "en la estación",
                  "cerca del puerto", "en la cocina", "bajo el puente", "en el museo",
                  "frente al hotel", "en la granja", "junto al lago", "en el castillo",
                  "en la biblioteca", "detrás del teatro", "en la plaza", "en el bosque",
                  "en la fábrica", "en el desierto", "en la playa", "en la torre"),
        "sign": ("Farmacia", "Biblioteca", "Panadería", "Estación", "Mercado", "Museo",
                 "Salida", "Entrada", "Cocina", "Jardín", "Puerto", "Teatro", "Escuela",
                 "Hospital", "Hotel", "Playa", "Torre", "Iglesia", "Fábrica", "Plaza",
                 "Correos", "Castillo", "Granja", "Puente"),
    },
    "de": {
        "subject": ("Der Bäcker", "Die Lehrerin", "Der Seemann", "Die Ärztin", "Der Pilot",
                    "Die Malerin", "Der Gärtner", "Die Anwältin", "Der Briefträger",
                    "Die Sängerin", "Der Tischler", "Die Pflegerin", "Der Fischer",
                    "Die Richterin", "Der Bergmann", "Die Tänzerin", "Der Koch",
                    "Die Bürgermeisterin", "Der Schneider", "Die Dichterin"),
        "verb": ("kaufte", "verkaufte", "reparierte", "putzte", "fand", "versteckte",
                 "malte", "zerbrach", "trug", "schloss", "öffnete", "verlor", "bewachte",
                 "vermaß", "wusch", "prüfte", "zeichnete", "schob", "stahl", "verpackte"),
        "object": ("eine Leiter", "eine Uhr", "einen Koffer", "einen Regenschirm",
                   "eine Gitarre", "einen Spiegel", "eine Lampe", "ein Heft", "einen Korb",
                   "einen Hammer", "eine Flasche", "einen Hut", "ein Fahrrad", "eine Trommel",
                   "einen Teppich", "eine Geige", "eine Kamera", "einen Eimer", "eine Kerze",
                   "eine Landkarte"),
        "place": ("auf dem Markt", "am Fluss", "hinter der Kirche", "im Bahnhof",
                  "am Hafen", "in der Küche", "unter der Brücke", "im Museum",
                  "vor dem Hotel", "auf dem Bauernhof", "am See", "im Schloss",
                  "in der Bibliothek", "hinter dem Theater", "auf dem Platz", "im Wald",
                  "in der Fabrik", "in der Wüste", "am Strand", "im Turm"),
        "sign": ("Apotheke", "Bibliothek", "Bäckerei", "Bahnhof", "Marktplatz", "Museum",
                 "Ausgang", "Eingang", "Küche", "Garten", "Hafen", "Theater", "Schule",
                 "Krankenhaus", "Rathaus", "Strand", "Turm", "Kirche", "Fabrik", "Brücke",
                 "Postamt", "Schloss", "Bauernhof", "Flughafen"),
    },
    "fr": {
        "subject": ("Le boulanger", "La maîtresse", "Le marin", "La médecin", "Le pilote",
                    "La peintre", "Le jardinier", "L'avocate", "Le facteur", "La chanteuse",
                    "Le menuisier", "L'infirmière", "Le pêcheur", "La juge", "Le mineur",
                    "La danseuse", "Le cuisinier", "La maire", "Le tailleur", "La poétesse"),
        "verb": ("a acheté", "a vendu", "a réparé", "a nettoyé", "a trouvé", "a caché",
                 "a peint", "a cassé", "a porté", "a fermé", "a ouvert", "a perdu",
                 "a gardé", "a mesuré", "a lavé", "a essayé", "a dessiné", "a poussé",
                 "a volé", "a emballé"),
        "object": ("une échelle", "une horloge", "une valise", "un parapluie", "une guitare",
                   "un miroir", "une lampe", "un cahier", "un panier", "un marteau",
                   "une bouteille", "un chapeau", "un vélo", "un tambour", "un tapis",
                   "un violon", "un appareil photo", "un seau", "une bougie", "une carte"),
        "place": ("au marché", "près de la rivière", "derrière l'église", "à la gare",
                  "au port", "dans la cuisine", "sous le pont", "au musée",
                  "devant l'hôtel", "à la ferme", "près du lac", "au château",
                  "à la bibliothèque", "derrière le théâtre", "sur la place",
                  "dans la forêt", "à l'usine", "dans le désert", "sur la plage",
                  "dans la tour"),
        "sign": ("Pharmacie", "Bibliothèque", "Boulangerie", "Gare", "Marché", "Musée",
                 "Sortie", "Entrée", "Cuisine", "Jardin", "Port", "Théâtre", "École",
                 "Hôpital", "Mairie", "Plage", "Tour", "Église", "Usine", "Pont", "Poste",
                 "Château", "Ferme", "Aéroport"),
    },
    "zh": {
        "subject": ("面包师", "老师", "水手", "医生", "飞行员", "画家", "园丁", "律师",
                    "邮递员", "歌手", "木匠", "护士", "渔夫", "法官", "矿工", "舞者", "厨师",
                    "市长", "裁缝", "诗人"),
        "verb": ("买了", "卖了", "修好了", "打扫了", "找到了", "藏起了", "画了", "打碎了",
                 "搬走了", "锁上了", "打开了", "丢了", "守着", "量了", "洗了", "试了",
                 "描绘了", "推走了", "偷了", "包好了"),
        "object": ("梯子", "时钟", "行李箱", "雨伞", "吉他", "镜子", "台灯", "笔记本",
                   "篮子", "锤子", "瓶子", "帽子", "自行车", "鼓", "地毯", "小提琴",
                   "照相机", "水桶", "蜡烛", "地图"),
        "place": ("在市场上", "在河边", "在教堂后面", "在火车站", "在港口", "在厨房里",
                  "在桥下", "在博物馆", "在酒店门口", "在农场", "在湖边", "在城堡里",
                  "在图书馆", "在剧院后面", "在广场上", "在森林里", "在工厂", "在沙漠里",
                  "在海滩上", "在塔里"),
        "sign": ("药店", "图书馆", "面包店", "火车站", "市场", "博物馆", "出口", "入口",
                 "厨房", "花园", "港口", "剧院", "学校", "医院", "市政厅", "海滩", "高塔",
                 "教堂", "工厂", "大桥", "邮局", "城堡", "农场", "机场"),
    },
}  # fmt: skip

EN_SIGNS = ("Pharmacy", "Library", "Bakery", "Station", "Market", "Museum", "Exit",
            "Entrance", "Kitchen", "Garden", "Harbor", "Theater", "School", "Hospital",
            "Town Hall", "Beach", "Tower", "Church", "Factory", "Bridge", "Post Office",
            "Castle", "Farm", "Airport")  # fmt: skip
